using System.Globalization;
using System.Text;
using Compose.Language;

namespace Compose.Evaluation.Running;

/// <summary>
/// One output folder, one writer: <c>compose eval</c> and <c>compose search</c> hold <c>&lt;out&gt;/.lock</c>
/// open with an exclusive OS lock (<see cref="FileShare.None"/>: <c>flock</c> on Unix, a share mode on
/// Windows) for as long as they run. A second run on the same folder is refused at once (CMP824). The OS
/// drops the lock when the process ends in any way, <c>kill -9</c> included, so no stale lock is left;
/// the file itself stays (it holds the owner's process id, for people).
/// </summary>
public sealed class OutputFolderLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _stream;

    private OutputFolderLock(string folder, FileStream stream)
    {
        Folder = folder;
        _stream = stream;
    }

    /// <summary>The locked folder, as given.</summary>
    public string Folder { get; }

    /// <summary>
    /// Creates <paramref name="folder"/> when needed and locks it; a diagnostic when it cannot be used
    /// (CMP823: a file, not writable, on a read-only disk) or another run holds it (CMP824).
    /// </summary>
    public static OutputFolderLock Acquire(string folder)
    {
        string full;
        try
        {
            full = Path.GetFullPath(folder);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Unusable(folder, $"'{folder}' is not a usable folder path: {ex.Message}");
        }

        if (File.Exists(full))
        {
            throw Unusable(folder, $"'{folder}' is a file, not a folder");
        }

        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw Unusable(folder, $"cannot create the output folder '{folder}': {ex.Message}");
        }

        var lockPath = Path.Combine(full, FileName);
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex) when (IsHeldByAnother(ex))
        {
            throw new DiagnosticException([Diagnostic.Error(EvaluationDiagnosticCodes.OutputLocked, new SourceLocation(folder, 0, 0),
                $"another compose run holds the output folder '{folder}' (its lock {lockPath} is taken)",
                "Wait for that run to finish, or give this one another --out folder. (The lock goes when that process ends, even if it is killed.)")]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unusable(folder, $"cannot write in the output folder '{folder}': {ex.Message}");
        }

        try
        {
            var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            stream.SetLength(0);
            stream.Write(pid);
            stream.Flush();
        }
        catch (IOException ex)
        {
            stream.Dispose();
            throw Unusable(folder, $"cannot write in the output folder '{folder}': {ex.Message}");
        }

        return new OutputFolderLock(folder, stream);
    }

    public void Dispose() => _stream.Dispose();

    private static bool IsHeldByAnother(IOException ex) =>
        ex.HResult is 11 or 35 or 32 or unchecked((int)0x80070020) or unchecked((int)0x80070021)
        || ex.Message.Contains("being used by another process", StringComparison.OrdinalIgnoreCase);

    private static DiagnosticException Unusable(string folder, string message) =>
        new([Diagnostic.Error(EvaluationDiagnosticCodes.OutputUnusable, new SourceLocation(folder, 0, 0), message,
            "Give --out a folder you can write to (not a file, not on a read-only or full disk).")]);
}
