using Compose.Language;

namespace Compose.Cli;

/// <summary>
/// The offline model shipped in models/arith (a small arithmetic decoder run by the onnx provider): the CLI's
/// <c>default</c> model when a pipeline names none, or names <c>default</c> without defining it. Found next to the
/// binaries (the build copies models/ there), else in a models/ folder above them or above the working directory
/// (a source checkout).
/// </summary>
internal static class ShippedModel
{
    public const string Folder = "models/arith";

    public static ModelSpec? Spec { get; } = Find(AppContext.BaseDirectory, Environment.CurrentDirectory) is { } folder ? For(folder) : null;

    public static ModelSpec For(string folder) => new(
        "default",
        "onnx",
        new SpecMapping([new SpecEntry("path", SourceLocation.None, new SpecScalar(Path.GetFullPath(folder), SourceLocation.None))], SourceLocation.None),
        SourceLocation.None);

    /// <summary>The first of the start directories and their parents holding models/arith/genai_config.json.</summary>
    public static string? Find(params string[] starts)
    {
        foreach (var start in starts)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var folder = Path.Combine(dir.FullName, Folder);
                if (File.Exists(Path.Combine(folder, "genai_config.json")))
                {
                    return folder;
                }
            }
        }

        return null;
    }
}
