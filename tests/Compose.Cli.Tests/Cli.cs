using System.Diagnostics;
using System.Text;

namespace Compose.Cli.Tests;

internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;

    /// <summary>True when the output shows a .NET stack trace or an internal error.</summary>
    public bool ShowsStackTrace =>
        All.Contains("   at ", StringComparison.Ordinal) || All.Contains("internal error", StringComparison.Ordinal)
        || All.Contains("Unhandled exception", StringComparison.Ordinal);
}

/// <summary>Runs the real compose CLI: as a child process (end to end) or in-process (fast, for fuzzing).</summary>
internal static class Cli
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Compose.Cli.dll");

    public static async Task<CliResult> Process(string[] args, string? stdin = null, string? workingDirectory = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var process = System.Diagnostics.Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child stopped reading (it refused input over its limit and exited): not the test's concern.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>Starts the real CLI and kills it (SIGKILL) after <paramref name="after"/> unless it exits first.</summary>
    public static Task<(bool Exited, int ExitCode)> KillAfter(string[] args, TimeSpan after) => KillWhen(args, static () => false, after);

    /// <summary>
    /// Starts the real CLI and kills it (SIGKILL) as soon as <paramref name="condition"/> holds (checked every few
    /// milliseconds), or after <paramref name="limit"/>, unless it exits first.
    /// </summary>
    public static async Task<(bool Exited, int ExitCode)> KillWhen(string[] args, Func<bool> condition, TimeSpan limit)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(psi)!;
        var drainOut = process.StandardOutput.ReadToEndAsync();
        var drainErr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && !condition() && clock.Elapsed < limit)
        {
            await Task.Delay(5);
        }

        if (process.HasExited)
        {
            await process.WaitForExitAsync();
            await Task.WhenAll(drainOut, drainErr);
            return (true, process.ExitCode);
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        return (false, -1);
    }

    public static async Task<CliResult> InProcess(params string[] args)
    {
        var output = new StringWriter(new StringBuilder());
        var error = new StringWriter(new StringBuilder());
        var console = new CliConsole(output, error, new StringReader(""), InputRedirected: false, OutputRedirected: true);
        var code = await ComposeApp.RunAsync(args, console);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}
