using System.CommandLine;
using System.CommandLine.Parsing;
using Compose.Cli.Commands;
using Compose.Language;

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

    /// <summary>
    /// For an error about an unrecognized token: the closest option of the command being parsed (its own, and the
    /// recursive ones of the commands above it) when the token looks like an option, else the closest subcommand.
    /// </summary>
    internal static string? Suggestion(ParseResult parse, ParseError error)
    {
        var token = parse.UnmatchedTokens.FirstOrDefault(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal));
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var command = parse.CommandResult.Command;
        if (token.StartsWith('-'))
        {
            return token.Length > 1 && !char.IsAsciiDigit(token[1]) ? DidYouMean.Suggest(token, OptionNames(parse.CommandResult)) : null;
        }

        return command.Subcommands.Count > 0 ? DidYouMean.Suggest(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)) : null;
    }

    /// <summary>"compose --help", or "compose models inspect --help" for the subcommand being parsed.</summary>
    private static string HelpCommandLine(CommandResult result)
    {
        var names = new List<string>();
        for (var current = result; current.Parent is CommandResult parent; current = parent)
        {
            names.Insert(0, current.Command.Name);
        }

        return string.Join(' ', ["compose", .. names, "--help"]);
    }

    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is not CommandResult commandResult)
            {
                continue;
            }

            foreach (var option in commandResult.Command.Options)
            {
                if (option.Hidden || (current != result && !option.Recursive))
                {
                    continue;
                }

                yield return option.Name;
                foreach (var alias in option.Aliases)
                {
                    yield return alias;
                }
            }
        }
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
                    if (Suggestion(parse, error) is { } suggestion)
                    {
                        await console.Error.WriteLineAsync($"  hint: did you mean '{suggestion}'?").ConfigureAwait(false);
                    }
                }

                await console.Error.WriteLineAsync($"Try '{HelpCommandLine(parse.CommandResult)}'.").ConfigureAwait(false);
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
            await console.Error.WriteLineAsync($"compose: internal error ({ex.GetType().Name}): {ex.Message}. Please report it with the command you ran.").ConfigureAwait(false);
            return ExitCodes.RunFailed;
        }
    }
}
