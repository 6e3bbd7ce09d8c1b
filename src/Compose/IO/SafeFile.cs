using System.Diagnostics;
using System.Text;

namespace Compose.IO;

/// <summary>
/// Every file Compose reads goes through here: regular files only (a directory, FIFO, device or socket is
/// refused before it is opened, so nothing blocks), a size cap checked before and while reading, and a
/// time bound on the read. Failures come back as a <see cref="FileError"/>, never as an exception.
/// </summary>
public static class SafeFile
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Checks that <paramref name="path"/> is a regular file no larger than <paramref name="maxBytes"/>.</summary>
    public static FileError? Check(string path, long maxBytes, string what, string flag = "--max-file-bytes")
    {
        var (kind, size) = FileProbe.Probe(path);
        return kind switch
        {
            FileKind.Missing => FileError.NotFound(what, path),
            FileKind.Regular when size > maxBytes => TooLarge(what, path, size, maxBytes, flag: flag),
            FileKind.Regular => null,
            _ => new FileError(
                FileErrorCodes.NotARegularFile,
                $"{what} '{path}' is {Describe(kind)}, not a regular file",
                "Give the path of an ordinary file; devices, pipes, sockets and folders are not read."),
        };
    }

    /// <summary>Reads a whole text file (UTF-8, a byte-order mark honoured) within the policy's size and time bounds.</summary>
    public static (string? Text, FileError? Error) ReadText(string path, FileAccessPolicy policy, string what, long? maxBytes = null)
    {
        var cap = maxBytes ?? policy.MaxFileBytes;
        if (Check(path, cap, what) is { } problem)
        {
            return (null, problem);
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
            var buffer = new MemoryStream();
            var chunk = new byte[ChunkBytes];
            var clock = Stopwatch.StartNew();
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > cap)
                {
                    return (null, TooLarge(what, path, buffer.Length, cap, grew: true));
                }

                if (clock.Elapsed > policy.ReadTimeout)
                {
                    return (null, new FileError(
                        FileErrorCodes.ReadTimedOut,
                        $"reading {what} '{path}' took longer than {policy.ReadTimeout.TotalSeconds:0.#} s",
                        "Is it on a slow or stalled network file system? Copy it to a local disk."));
                }
            }

            buffer.Position = 0;
            using var reader = new StreamReader(buffer, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return (reader.ReadToEnd(), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return (null, ex is FileNotFoundException or DirectoryNotFoundException ? FileError.NotFound(what, path) : FileError.Unreadable(what, path, ex.Message));
        }
    }

    /// <summary>
    /// Opens a data file (benchmark, recordings) for reading line by line within the policy's file and line
    /// caps. The check happens now; a bound crossed later (the file grew, a line too long) throws
    /// <see cref="FileBoundException"/> from the enumeration.
    /// </summary>
    public static (IEnumerable<string>? Lines, FileError? Error) OpenLines(string path, FileAccessPolicy policy, string what)
    {
        if (Check(path, policy.MaxDataBytes, what, "--max-data-bytes") is { } problem)
        {
            return (null, problem);
        }

        return (ReadLines(path, policy, what), null);
    }

    private static IEnumerable<string> ReadLines(string path, FileAccessPolicy policy, string what)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, ChunkBytes, FileOptions.SequentialScan);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: ChunkBytes);
        var line = new StringBuilder();
        var lineNumber = 0;
        var buffer = new char[ChunkBytes];
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (stream.Position > policy.MaxDataBytes)
            {
                throw new FileBoundException(TooLarge(what, path, stream.Position, policy.MaxDataBytes, grew: true, flag: "--max-data-bytes"));
            }

            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n')
                {
                    continue;
                }

                if (line.Length + (i - start) > policy.MaxLineBytes)
                {
                    throw LineTooLong(what, path, lineNumber + 1, policy.MaxLineBytes);
                }

                line.Append(buffer, start, i - start);
                start = i + 1;
                lineNumber++;
                yield return TakeLine(line);
            }

            line.Append(buffer, start, read - start);
            if (line.Length > policy.MaxLineBytes)
            {
                throw LineTooLong(what, path, lineNumber + 1, policy.MaxLineBytes);
            }
        }

        if (line.Length > 0)
        {
            yield return TakeLine(line);
        }
    }

    private static FileBoundException LineTooLong(string what, string path, int line, int max) => new(new FileError(
        FileErrorCodes.FileTooLarge,
        $"line {line} of {what} '{path}' is longer than {max:N0} characters",
        "Each line holds one JSON item; check that the file is JSON Lines."));

    private static string TakeLine(StringBuilder line)
    {
        var length = line.Length > 0 && line[^1] == '\r' ? line.Length - 1 : line.Length;
        var text = line.ToString(0, length);
        line.Clear();
        return text;
    }

    private static FileError TooLarge(string what, string path, long size, long cap, bool grew = false, string? flag = null) => new(
        FileErrorCodes.FileTooLarge,
        grew ? $"{what} '{path}' is larger than the limit of {cap:N0} bytes" : $"{what} '{path}' has {size:N0} bytes, more than the limit of {cap:N0}",
        $"Check that this is the file you meant; to read larger files, raise the limit with {flag ?? "--max-file-bytes"} N.");

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a folder",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "a special file",
    };
}
