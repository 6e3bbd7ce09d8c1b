using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Compose.Language;

namespace Compose.Evaluation.Running;

/// <summary>
/// The per-item results file: a header line <c>{"kind":"header","fingerprint":...}</c>, then one
/// <see cref="ItemResult"/> per line, appended and flushed as each item finishes. Only complete, readable
/// lines are results: a run killed mid-line leaves a partial last line, and the next run cuts the file
/// back to the last line that reads as a result before continuing. A write that fails (a full disk)
/// cuts the file back the same way and stops the run.
/// </summary>
public static class ResultsFile
{
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The results already in <paramref name="path"/> (empty when absent), after cutting off a torn or
    /// unreadable tail. Throws a diagnostic when it belongs to another evaluation (CMP820), its header
    /// is unreadable (CMP825) or it cannot be read or cut (CMP823).
    /// </summary>
    public static ImmutableArray<ItemResult> ReadForResume(string path, string fingerprint)
    {
        if (Directory.Exists(path))
        {
            throw Unusable(path, "the results file is a folder");
        }

        if (!File.Exists(path))
        {
            return [];
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unusable(path, $"cannot read the results file: {ex.Message}");
        }

        var results = ImmutableArray.CreateBuilder<ItemResult>();
        var good = 0;
        var start = 0;
        var headerSeen = false;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                break; // a torn last line
            }

            var line = bytes.AsSpan(start, end - start);
            if (!line.Trim((byte)' ').IsEmpty)
            {
                if (!headerSeen)
                {
                    CheckHeader(path, line, fingerprint);
                    headerSeen = true;
                }
                else if (Parse(line) is { } result)
                {
                    results.Add(result);
                }
                else
                {
                    break; // unreadable from here on: those items run again
                }
            }

            start = end + 1;
            good = start;
        }

        if (good < bytes.Length)
        {
            try
            {
                using var cut = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
                cut.SetLength(good);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Unusable(path, $"cannot cut the unfinished last line off the results file: {ex.Message}");
            }
        }

        return results.ToImmutable();
    }

    /// <summary>Opens <paramref name="path"/> for appending, writing the header when the file is new or empty. Throws a diagnostic (CMP823) when it cannot.</summary>
    public static ResultsWriter OpenForAppend(string path, string fingerprint, string name)
    {
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }

            var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
            var writer = new ResultsWriter(path, stream);
            if (stream.Length == 0)
            {
                writer.AppendLine(JsonSerializer.Serialize(new { kind = "header", fingerprint, name }, Json));
            }

            return writer;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unusable(path, $"cannot write the results file: {ex.Message}");
        }
    }

    internal static DiagnosticException Unusable(string path, string message) =>
        new([Diagnostic.Error(EvaluationDiagnosticCodes.OutputUnusable, new SourceLocation(path, 0, 0), message,
            "Check that --out names a folder you can write to, with free space; results written so far are kept and resumed.")]);

    private static void CheckHeader(string path, ReadOnlySpan<byte> line, string fingerprint)
    {
        string? found;
        try
        {
            using var header = JsonDocument.Parse(line.ToArray());
            if (header.RootElement.ValueKind != JsonValueKind.Object || !header.RootElement.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String || kind.GetString() != "header")
            {
                throw Unreadable(path);
            }

            found = header.RootElement.TryGetProperty("fingerprint", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        }
        catch (JsonException)
        {
            throw Unreadable(path);
        }

        if (found != fingerprint)
        {
            throw new DiagnosticException([Diagnostic.Error(EvaluationDiagnosticCodes.ResultsMismatch, new SourceLocation(path, 1, 1),
                "the results file belongs to another evaluation (a different pipeline, models, benchmark, scorer or seed)",
                "Give another --out file, or delete this one to start over.")]);
        }
    }

    private static ItemResult? Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize<ItemResult>(line, Json) is { Id: not null } r ? r : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static DiagnosticException Unreadable(string path) =>
        new([Diagnostic.Error(EvaluationDiagnosticCodes.ResultsUnreadable, new SourceLocation(path, 1, 1),
            "the results file does not start with a Compose results header, so it cannot be resumed",
            "Run with --fresh to start it over, or give another --out folder.")]);
}

/// <summary>
/// Appends whole lines to a results file, unbuffered. A line that cannot be written whole (a full disk)
/// is cut off again, so the file only ever holds complete lines, and the failure is reported (CMP823).
/// </summary>
public sealed class ResultsWriter : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(false);
    private readonly FileStream _stream;
    private bool _broken;

    internal ResultsWriter(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>Appends <paramref name="result"/> as one line and flushes it.</summary>
    public Task AppendAsync(ItemResult result, CancellationToken cancellationToken = default) =>
        AppendLineAsync(JsonSerializer.Serialize(result, ResultsFile.Json), cancellationToken);

    public void Dispose() => _stream.Dispose();

    internal void AppendLine(string line) => AppendLineAsync(line, CancellationToken.None).GetAwaiter().GetResult();

    private async Task AppendLineAsync(string line, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_broken)
        {
            throw ResultsFile.Unusable(Path, "an earlier write to the results file failed");
        }

        var bytes = Utf8.GetBytes(line + "\n");
        var before = _stream.Length;
        try
        {
            // Not cancellable half-way: a line is written whole or cut off again.
            await _stream.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
            await _stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _broken = true;
            try
            {
                _stream.SetLength(before);
            }
            catch (Exception cut) when (cut is IOException or UnauthorizedAccessException)
            {
                // The next run cuts the torn line off when it resumes.
            }

            throw ResultsFile.Unusable(Path, $"writing the results file failed: {ex.Message}");
        }
    }
}
