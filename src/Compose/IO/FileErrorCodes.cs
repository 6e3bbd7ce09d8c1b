namespace Compose.IO;

/// <summary>The codes of file problems (also on <c>Compose.Language.DiagnosticCodes</c>, with every other code).</summary>
public static class FileErrorCodes
{
    /// <summary>The file does not exist or cannot be read.</summary>
    public const string FileUnreadable = "CMP101";

    /// <summary>A path names a folder, a pipe, a device or a socket where a regular file is expected.</summary>
    public const string NotARegularFile = "CMP107";

    /// <summary>A file is larger than its size limit (<c>--max-file-bytes</c>, <c>--max-data-bytes</c>).</summary>
    public const string FileTooLarge = "CMP108";

    /// <summary>A file named inside a pipeline, models file or search space resolves outside the allowed folders.</summary>
    public const string PathOutsideAllowed = "CMP109";

    /// <summary>Reading a file took longer than its time bound.</summary>
    public const string ReadTimedOut = "CMP110";
}
