using System.CommandLine;
using System.CommandLine.Parsing;
using Compose.Cli.Commands;
using Compose.Models;
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
            TechniquesCommand.Create(console),
            SchemaCommand.Create(console),
            ImportCommand.Create(console),
            ClusterCommand.Create(console),
        };
        foreach (var option in FileBoundsOptions.Create())
        {
            root.Options.Add(option);
        }

        root.Options.Add(TechniqueOptions.Create());

        RefuseOptionLikeArguments(root);
        return root;
    }

    /// <summary>System.CommandLine's message for a token no option, command or argument takes.</summary>
    private const string Unrecognized = "Unrecognized command or argument ";

    /// <summary>
    /// A mistyped option (<c>--fersh</c>) is otherwise taken as a value of a command's argument (a pipeline file) and
    /// reported later as a missing file, with no hint: an argument value that looks like an option and is no existing
    /// file or folder is refused as unrecognized, so <see cref="Suggestion"/> can name the option meant.
    /// </summary>
    private static void RefuseOptionLikeArguments(Command command)
    {
        foreach (var argument in command.Arguments)
        {
            argument.Validators.Add(result =>
            {
                foreach (var token in result.Tokens)
                {
                    if (LooksLikeOption(token.Value) && !File.Exists(token.Value) && !Directory.Exists(token.Value))
                    {
                        result.AddError($"{Unrecognized}'{token.Value}'.");
                    }
                }
            });
        }

        foreach (var subcommand in command.Subcommands)
        {
            RefuseOptionLikeArguments(subcommand);
        }
    }

    /// <summary>-x or --xyz; not "-" (standard input) nor a negative number.</summary>
    private static bool LooksLikeOption(string token) =>
        token.Length > 1 && token[0] == '-' && (char.IsAsciiLetter(token[1]) || (token[1] == '-' && token.Length > 2 && char.IsAsciiLetter(token[2])));

    /// <summary>
    /// For an error about an unrecognized token: the closest option of the command being parsed (its own, and the
    /// recursive ones of the commands above it) when the token looks like an option, else the closest subcommand.
    /// </summary>
    internal static string? Suggestion(ParseResult parse, ParseError error)
    {
        var message = error.Message;
        if (!message.StartsWith(Unrecognized + "'", StringComparison.Ordinal) || message.LastIndexOf('\'') <= Unrecognized.Length)
        {
            return null;
        }

        var token = message[(Unrecognized.Length + 1)..message.LastIndexOf('\'')];
        var command = parse.CommandResult.Command;
        if (token.StartsWith('-'))
        {
            return LooksLikeOption(token) ? DidYouMean.Suggest(token, OptionNames(parse.CommandResult)) : null;
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
            await console.Error.WriteLineAsync($"compose: internal error ({ex.GetType().Name}): {SecretRedactor.Redact(ex.Message)}. Please report it with the command you ran.").ConfigureAwait(false);
            return ExitCodes.RunFailed;
        }
    }
}
