using System.Diagnostics;
using Compose.Evaluation.Benchmarks;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// A program check: runs <paramref name="fileName"/> with <paramref name="arguments"/>, the answer on its
/// standard input and the item in the environment (<c>COMPOSE_ITEM_ID</c>, <c>COMPOSE_REFERENCE</c>,
/// <c>COMPOSE_METADATA</c> as JSON). Exit code 0 means correct; a program that runs past the timeout
/// is killed and counts as incorrect.
/// </summary>
public sealed class ProgramScorer(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout) : IScorer
{
    public string Name => "program";

    public bool IsFree => true;

    public async ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        if (answer is null)
        {
            return Score.Of(false, null);
        }

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

        psi.Environment["COMPOSE_ITEM_ID"] = item.Id;
        psi.Environment["COMPOSE_REFERENCE"] = item.Reference;
        psi.Environment["COMPOSE_METADATA"] = item.Metadata?.GetRawText() ?? "{}";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start '{fileName}'");
        var drainOut = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var drainErr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.StandardInput.WriteAsync(answer.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading its input; its exit code still decides.
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return Score.Of(false, null);
        }

        var output = (await drainOut.ConfigureAwait(false)).Trim();
        await drainErr.ConfigureAwait(false);
        return Score.Of(process.ExitCode == 0, output.Length == 0 ? null : output);
    }
}
