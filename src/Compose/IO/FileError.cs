namespace Compose.IO;

/// <summary>Why a file could not be read: a stable diagnostic code, a message naming the file, and a hint.</summary>
public sealed record FileError(string Code, string Message, string Hint)
{
    public static FileError Unreadable(string what, string path, string reason) =>
        new(FileErrorCodes.FileUnreadable, $"cannot read {what} '{path}': {reason}", "Check the path and its permissions.");

    public static FileError NotFound(string what, string path) =>
        new(FileErrorCodes.FileUnreadable, $"{what} '{path}' not found", "Check the path; relative paths are relative to the folder of the file that names them, or to the current folder on the command line.");

    public override string ToString() => $"error {Code}: {Message}\n  hint: {Hint}";
}

/// <summary>Thrown by streamed reads (<see cref="SafeFile.OpenLines"/>) when a bound is crossed mid-file.</summary>
public sealed class FileBoundException(FileError error) : IOException(error.Message)
{
    public FileError Error { get; } = error;
}
