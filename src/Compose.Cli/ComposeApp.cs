using System.CommandLine;
using Compose.Cli.Commands;
using Compose.Models;

namespace Compose.Cli;

/// <summary>The <c>compose</c> command line. Never throws: every outcome is an exit code and a message.</summary>
public static class ComposeApp
{
    public static RootCommand BuildRoot(CliConsole console)
    {
        var root = new RootCommand("Compose: inference-time compute pipelines — check, compile and run them over language models.")
        {
            ValidateCommand.Create(console),
            GraphCommand.Create(console),
            RunCommand.Create(console),
            ModelsCommand.Create(console),
            ServeCommand.Create(console),
            EvalCommand.Create(console),
            SearchCommand.Create(console),
        };
        foreach (var option in FileBoundsOptions.Create())
        {
            root.Options.Add(option);
        }

        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        try
        {
            var root = BuildRoot(console);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors)
                {
                    await console.Error.WriteLineAsync($"compose: {error.Message}").ConfigureAwait(false);
                }

                await console.Error.WriteLineAsync("Try 'compose --help'.").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var config = new InvocationConfiguration
            {
                Output = console.Out,
                Error = console.Error,
                EnableDefaultExceptionHandler = false,
            };
            using var telemetry = Telemetry.Start(console);
            return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await console.Error.WriteLineAsync("compose: cancelled").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            // A bug, not a user error: say so plainly, without a stack trace.
            await console.Error.WriteLineAsync($"compose: internal error ({ex.GetType().Name}): {SecretRedactor.Redact(ex.Message)}. Please report it with the command you ran.").ConfigureAwait(false);
            return ExitCodes.RunFailed;
        }
    }
}
