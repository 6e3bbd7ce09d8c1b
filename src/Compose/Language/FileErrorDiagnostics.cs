using Compose.IO;

namespace Compose.Language;

/// <summary>File problems as located diagnostics.</summary>
public static class FileErrorDiagnostics
{
    /// <summary>The error as a located diagnostic.</summary>
    public static Diagnostic ToDiagnostic(this FileError error, SourceLocation location)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Diagnostic.Error(error.Code, location, error.Message, error.Hint);
    }
}
