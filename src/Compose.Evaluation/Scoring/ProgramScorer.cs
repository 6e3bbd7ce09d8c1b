using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Compose.Evaluation.Benchmarks;
using Compose.Language;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// A program check. For each answer it runs <paramref name="fileName"/> with <paramref name="arguments"/>
/// (no shell), in the current folder and with the user's environment, and hands it the item through files
/// in a fresh private temporary folder, deleted afterwards:
/// <list type="bullet">
/// <item><c>COMPOSE_CANDIDATE_FILE</c>: the answer, UTF-8 (also written to the program's standard input);</item>
/// <item><c>COMPOSE_REFERENCE_FILE</c>: the first reference answer, UTF-8, byte for byte (NULs included);</item>
/// <item><c>COMPOSE_ITEM_FILE</c>: JSON <c>{"id", "reference", "references", "metadata", "candidate"}</c>;</item>
/// <item><c>COMPOSE_ITEM_ID</c>: the item id, when it is at most 256 characters with no control characters.</item>
/// </list>
/// No answer or reference text travels in the environment or the arguments. Exit code 0 means correct,
/// 1 wrong; any other exit code, a crash, running past <paramref name="timeout"/> (the whole process tree
/// is then killed) or writing more than <see cref="KillLimit"/> bytes to standard output or error (then
/// killed too) is a scorer failure: the answer counts as wrong and the reason is recorded. The first
/// <see cref="OutputLimit"/> bytes of standard output are the extracted answer; the rest is discarded.
/// </summary>
public sealed class ProgramScorer(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout) : IScorer
{
    /// <summary>Bytes of standard output (and of standard error, for the failure reason) kept: 64 KiB.</summary>
    public const int OutputLimit = 64 * 1024;

    /// <summary>Bytes a program may write to standard output or error before it is killed: 1 MiB.</summary>
    public const int KillLimit = 1024 * 1024;

    private static readonly UTF8Encoding Utf8 = new(false);

    public string Name => "program";

    public bool CallsNoModel => true;

    public string FileName => fileName;

    public TimeSpan Timeout => timeout;

    /// <summary>
    /// The full path of the program <paramref name="command"/> names (a path, or a name looked up in
    /// <c>PATH</c>); a diagnostic (CMP821 not found, CMP822 not executable) when there is none to run.
    /// </summary>
    public static string Resolve(string command)
    {
        if (command.Contains('/', StringComparison.Ordinal) || (OperatingSystem.IsWindows() && command.Contains('\\', StringComparison.Ordinal)))
        {
            var full = Path.GetFullPath(command);
            if (Directory.Exists(full))
            {
                throw Problem(EvaluationDiagnosticCodes.ScorerProgramNotExecutable, $"the scorer program '{command}' is a folder, not a program");
            }

            if (!File.Exists(full))
            {
                throw Problem(EvaluationDiagnosticCodes.ScorerProgramNotFound, $"the scorer program '{command}' does not exist");
            }

            return IsExecutable(full) ? full : throw Problem(EvaluationDiagnosticCodes.ScorerProgramNotExecutable, $"the scorer program '{command}' is not executable");
        }

        var nonExecutable = false;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in Candidates(dir, command))
            {
                if (File.Exists(candidate))
                {
                    if (IsExecutable(candidate))
                    {
                        return Path.GetFullPath(candidate);
                    }

                    nonExecutable = true;
                }
            }
        }

        throw nonExecutable
            ? Problem(EvaluationDiagnosticCodes.ScorerProgramNotExecutable, $"the scorer program '{command}' found on PATH is not executable")
            : Problem(EvaluationDiagnosticCodes.ScorerProgramNotFound, $"the scorer program '{command}' is not on PATH");
    }

    public async ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        if (answer is null)
        {
            return Score.Of(false, null);
        }

        DirectoryInfo folder;
        string candidateFile, referenceFile, itemFile;
        try
        {
            folder = Directory.CreateTempSubdirectory("compose-scorer-");
            candidateFile = Path.Combine(folder.FullName, "candidate.txt");
            referenceFile = Path.Combine(folder.FullName, "reference.txt");
            itemFile = Path.Combine(folder.FullName, "item.json");
            await File.WriteAllTextAsync(candidateFile, answer, Utf8, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(referenceFile, item.Reference, Utf8, cancellationToken).ConfigureAwait(false);
            var json = JsonSerializer.Serialize(new { id = item.Id, reference = item.Reference, references = item.References.IsDefault ? [] : item.References, metadata = item.Metadata, candidate = answer });
            await File.WriteAllTextAsync(itemFile, json, Utf8, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Score.Failed($"cannot write the scorer's input files in the temporary folder: {ex.Message}");
        }

        try
        {
            return await RunAsync(item, answer, candidateFile, referenceFile, itemFile, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A program that left something undeletable behind; the temporary folder is the OS's to clean.
            }
        }
    }

    private async Task<Score> RunAsync(BenchmarkItem item, string answer, string candidateFile, string referenceFile, string itemFile, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var stale in (string[])["COMPOSE_REFERENCE", "COMPOSE_METADATA", "COMPOSE_ITEM_ID"])
        {
            psi.Environment.Remove(stale);
        }

        if (item.Id.Length <= 256 && !item.Id.Any(char.IsControl))
        {
            psi.Environment["COMPOSE_ITEM_ID"] = item.Id;
        }

        psi.Environment["COMPOSE_CANDIDATE_FILE"] = candidateFile;
        psi.Environment["COMPOSE_REFERENCE_FILE"] = referenceFile;
        psi.Environment["COMPOSE_ITEM_FILE"] = itemFile;

        Process? started;
        try
        {
            started = Process.Start(psi);
        }
        catch (Exception ex) when (ex is Win32Exception or IOException or InvalidOperationException)
        {
            return Score.Failed($"cannot start the scorer program '{fileName}': {ex.Message}");
        }

        if (started is null)
        {
            return Score.Failed($"cannot start the scorer program '{fileName}'");
        }

        using var process = started;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var overflow = 0;
        void Overflowed()
        {
            Interlocked.Exchange(ref overflow, 1);
            Kill(process);
        }

        var stdout = Drain(process.StandardOutput.BaseStream, Overflowed);
        var stderr = Drain(process.StandardError.BaseStream, Overflowed);
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(Utf8.GetBytes(answer), limit.Token).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The program exited or stopped without reading its input; its exit code still decides.
        }

        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
        }

        // A grandchild that kept the output pipes open must not hold the evaluation: wait briefly, then let go.
        var drained = Task.WhenAll(stdout, stderr);
        if (await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false) != drained)
        {
            _ = drained.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        var output = stdout.IsCompletedSuccessfully ? Text(stdout.Result) : "";
        var extracted = output.Length == 0 ? null : output;
        var errorText = stderr.IsCompletedSuccessfully ? Text(stderr.Result) : "";
        if (timedOut)
        {
            return Score.Failed(string.Create(CultureInfo.InvariantCulture, $"the scorer program ran past its {timeout.TotalSeconds:0.###} s limit (--scorer-timeout) and was killed"), extracted);
        }

        if (Volatile.Read(ref overflow) == 1)
        {
            return Score.Failed($"the scorer program wrote more than {KillLimit / 1024 / 1024} MiB to its output and was killed", extracted);
        }

        if (!process.HasExited)
        {
            return Score.Failed("the scorer program did not exit");
        }

        return process.ExitCode switch
        {
            0 => Score.Of(true, extracted),
            1 => Score.Of(false, extracted),
            var code => Score.Failed(string.Create(CultureInfo.InvariantCulture,
                $"the scorer program exited with code {code}{(code > 128 ? $" (killed by signal {code - 128}?)" : "")} (0 means correct, 1 wrong){(errorText.Length > 0 ? $": {Excerpt(errorText)}" : "")}"), extracted),
        };
    }

    /// <summary>Reads a stream to its end, keeping the first <see cref="OutputLimit"/> bytes; past <see cref="KillLimit"/> calls <paramref name="overflowed"/> and stops.</summary>
    private static async Task<byte[]> Drain(Stream stream, Action overflowed)
    {
        var kept = new MemoryStream();
        var buffer = new byte[16 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                if (kept.Length < OutputLimit)
                {
                    kept.Write(buffer, 0, (int)Math.Min(read, OutputLimit - kept.Length));
                }

                total += read;
                if (total > KillLimit)
                {
                    overflowed();
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe closed under us (the program was killed); what was read is kept.
        }

        return kept.ToArray();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private static string Text(byte[] bytes) => Utf8.GetString(bytes).Trim();

    private static string Excerpt(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "...";
    }

    private static IEnumerable<string> Candidates(string dir, string command)
    {
        yield return Path.Combine(dir, command);
        if (OperatingSystem.IsWindows())
        {
            foreach (var ext in (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return Path.Combine(dir, command + ext);
            }
        }
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static DiagnosticException Problem(string code, string message) =>
        new([Diagnostic.Error(code, new SourceLocation("--scorer", 0, 0), message, "Give program:PATH ARGS... with an existing executable file (a script needs a #! line and the execute permission).")]);
}
