using Compose.Language;

namespace Compose.Onnx;

/// <summary>
/// The diagnostics this package raises (documented in docs/diagnostics-onnx.md). Every problem with a
/// model folder names the file it is about; the location's file is that path.
/// </summary>
public static class OnnxErrors
{
    public const string MissingPath = "ONNX001";
    public const string FolderNotFound = "ONNX002";
    public const string MissingFile = "ONNX003";
    public const string BadConfig = "ONNX004";
    public const string UnknownModelType = "ONNX005";
    public const string UnknownChatFormat = "ONNX006";
    public const string BadOnnxFile = "ONNX007";
    public const string InterfaceMismatch = "ONNX008";
    public const string ProviderUnavailable = "ONNX009";
    public const string BadTokenizer = "ONNX010";
    public const string PromptTooLong = "ONNX011";
    public const string BadOption = "ONNX012";
    public const string RunFailed = "ONNX013";
    public const string TokenOutOfVocabulary = "ONNX014";
    public const string EngineUnavailable = "ONNX015";
    public const string EngineLacksFeature = "ONNX016";
    public const string ConstraintUnsupported = "ONNX017";
    public const string ComposeEngineLacksFeature = "ONNX018";

    /// <summary>A diagnostic about a file: its location is the file itself.</summary>
    public static Diagnostic InFile(string code, string file, string message, string? hint = null) =>
        Diagnostic.Error(code, new SourceLocation(file, 0, 0), message, hint);

    /// <summary>Throws a <see cref="DiagnosticException"/> carrying one diagnostic about a file.</summary>
    public static DiagnosticException Fail(string code, string file, string message, string? hint = null) =>
        new([InFile(code, file, message, hint)]);

    /// <summary>Largest JSON file of a model folder read into memory (tokenizer.json of a large vocabulary is tens of MB).</summary>
    public const long MaxJsonFileBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Reads a model folder's JSON or tokenizer file: a regular file (a FIFO or device is refused before it is
    /// opened) of at most <paramref name="maxBytes"/>; anything else throws the file's diagnostic.
    /// </summary>
    public static byte[] ReadFile(string path, long maxBytes = MaxJsonFileBytes)
    {
        RequireRegular(path, maxBytes);
        return File.ReadAllBytes(path);
    }

    /// <summary>Throws the file's diagnostic unless <paramref name="path"/> is a regular file of at most <paramref name="maxBytes"/>.</summary>
    public static void RequireRegular(string path, long maxBytes = long.MaxValue)
    {
        if (Compose.IO.SafeFile.Check(path, maxBytes, "model file") is { } problem)
        {
            throw new DiagnosticException([problem.Code == DiagnosticCodes.FileUnreadable ? InFile(MissingFile, path, problem.Message) : problem.ToDiagnostic(new SourceLocation(path, 0, 0))]);
        }
    }
}
