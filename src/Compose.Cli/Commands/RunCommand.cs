using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Compose.IO;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;
using Spectre.Console;

namespace Compose.Cli.Commands;

/// <summary><c>compose run FILE --input TEXT | --input-file F | stdin</c>: answer one question with a pipeline.</summary>
internal static class RunCommand
{
    internal const string RunDescription =
        "Run a pipeline on one question and print the answer. The question comes from --input, --input-file or, "
        + "when neither is given, standard input (piped: echo 'What is 2+3?' | compose run FILE). A pipeline that names no model, "
        + "or names 'default' without defining it, runs on the shipped default model (" + ShippedModel.Folder + ": a small offline "
        + "arithmetic model on the CPU); --models FILE binds other models.";

    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("file") { Description = "The pipeline file." };
        var input = new Option<string?>("--input", "-i") { Description = "The question (else --input-file, else standard input)." };
        var inputFile = new Option<string?>("--input-file") { Description = "Read the question from a file (else standard input)." };
        var seed = new Option<long>("--seed") { Description = "Run seed; every call's seed derives from it.", DefaultValueFactory = _ => 0 };
        var trace = new Option<string?>("--trace") { Description = "Write every model call and intermediate candidate to this JSONL file." };
        var json = new Option<bool>("--json") { Description = "Print the result (answer, candidates, usage) as JSON." };
        var maxCalls = new Option<int?>("--max-calls") { Description = "Override the pipeline's per-question call budget." };
        var models = CommandSupport.ModelsOption();
        var command = new Command("run", RunDescription) { file, input, inputFile, seed, trace, json, maxCalls, models };
        command.SetAction(async (parse, ct) =>
        {
            var question = await ReadQuestion(console, parse.GetValue(input), parse.GetValue(inputFile), CommandSupport.Files(parse), ct).ConfigureAwait(false);
            if (question is null)
            {
                return ExitCodes.BadInput;
            }

            var path = parse.GetValue(file)!;
            var (bindings, bindingProblems) = CommandSupport.ReadModels(parse.GetValue(models), parse);
            DiagnosticPrinter.Print(console.Error, bindingProblems);
            if (bindingProblems.Any(d => d.IsError))
            {
                return ExitCodes.BadInput;
            }

            var (pipeline, diagnostics) = PipelineFactory.Build(path, TechniqueOptions.Catalog(parse), context: CommandSupport.Context(path, console, parse), models: bindings);
            DiagnosticPrinter.Print(console.Error, diagnostics);
            if (pipeline is null)
            {
                return ExitCodes.BadInput;
            }

            using (pipeline)
            {
                JsonlTraceSink? sink = null;
                if (parse.GetValue(trace) is { } tracePath)
                {
                    if (FileProbe.Probe(tracePath).Kind is not (FileKind.Missing or FileKind.Regular))
                    {
                        await console.Error.WriteLineAsync($"{tracePath}: error {DiagnosticCodes.NotARegularFile}: the trace file must be a regular file (it is created or replaced)\n  hint: give the path of a new or ordinary file").ConfigureAwait(false);
                        return ExitCodes.BadInput;
                    }

                    try
                    {
                        sink = JsonlTraceSink.Create(tracePath, SecretRedactor.Redact);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        await console.Error.WriteLineAsync($"compose: cannot write the trace file '{tracePath}': {ex.Message}").ConfigureAwait(false);
                        return ExitCodes.BadInput;
                    }
                }

                using (sink)
                {
                    var options = new RunOptions
                    {
                        Seed = parse.GetValue(seed),
                        Trace = sink is null ? NullTraceSink.Instance : sink,
                        Budget = parse.GetValue(maxCalls) is { } calls ? pipeline.Spec.Budget with { MaxCalls = calls } : null,
                    };
                    RunResult result;
                    if (console.OutputRedirected)
                    {
                        result = await pipeline.RunAsync(question, options, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        // A terminal: show a spinner with the layer, calls and tokens so far on standard error.
                        var progress = new ProgressTraceSink(options.Trace, pipeline.Graph.LayerCount);
                        var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console.Error) });
                        result = await terminal.Status().Spinner(Spinner.Known.Dots).StartAsync($"{pipeline.Spec.Name}: starting", async status =>
                        {
                            using var ticker = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
                            var run = pipeline.RunAsync(question, options with { Trace = progress }, ct);
                            while (!run.IsCompleted && await ticker.WaitForNextTickAsync(ct).ConfigureAwait(false))
                            {
                                status.Status = $"{pipeline.Spec.Name}: {progress.Status}";
                            }

                            return await run.ConfigureAwait(false);
                        }).ConfigureAwait(false);
                    }

                    if (parse.GetValue(json))
                    {
                        await console.Out.WriteLineAsync(JsonSerializer.Serialize(ToJson(result), CliJson.Options)).ConfigureAwait(false);
                    }
                    else if (result.Answer is not null)
                    {
                        await console.Out.WriteLineAsync(result.Answer).ConfigureAwait(false);
                    }

                    foreach (var warning in result.WarningEvents)
                    {
                        await console.Error.WriteLineAsync(warning.Code is { } code ? $"compose: warning {code}: {warning.Message}" : $"compose: warning: {warning.Message}").ConfigureAwait(false);
                    }

                    WriteSummary(console, result);
                    return result.Succeeded ? ExitCodes.Success : ExitCodes.RunFailed;
                }
            }
        });
        return command;
    }

    private static async Task<string?> ReadQuestion(CliConsole console, string? input, string? inputFile, FileAccessPolicy files, CancellationToken ct)
    {
        if (input is not null && inputFile is not null)
        {
            await console.Error.WriteLineAsync("compose: give the question with --input or --input-file, not both").ConfigureAwait(false);
            return null;
        }

        string? text = input;
        if (inputFile is not null)
        {
            (text, var error) = SafeFile.ReadText(inputFile, files, "input file");
            if (error is not null)
            {
                DiagnosticPrinter.Print(console.Error, [error.ToDiagnostic(new SourceLocation(inputFile, 0, 0))]);
                return null;
            }
        }
        else if (text is null && console.InputRedirected)
        {
            text = await ReadBounded(console.In, files.MaxFileBytes, ct).ConfigureAwait(false);
            if (text is null)
            {
                await console.Error.WriteLineAsync($"compose: error {DiagnosticCodes.FileTooLarge}: the question on standard input is longer than {files.MaxFileBytes:N0} characters\n  hint: raise the limit with --max-file-bytes N").ConfigureAwait(false);
                return null;
            }
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            await console.Error.WriteLineAsync($"compose: error {RuntimeDiagnosticCodes.EmptyInput}: no question: pass --input TEXT, --input-file FILE, or pipe it on standard input").ConfigureAwait(false);
            return null;
        }

        return text.Trim();
    }

    /// <summary>Reads all of <paramref name="reader"/>, or null as soon as it has more than <paramref name="max"/> characters.</summary>
    private static async Task<string?> ReadBounded(TextReader reader, long max, CancellationToken ct)
    {
        var text = new System.Text.StringBuilder();
        var buffer = new char[16 * 1024];
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
        {
            text.Append(buffer, 0, read);
            if (text.Length > max)
            {
                return null;
            }
        }

        return text.ToString();
    }

    private static void WriteSummary(CliConsole console, RunResult result)
    {
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(console.Error),
            Ansi = console.OutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = console.OutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = InteractionSupport.No,
        });
        ansi.Profile.Width = 4096;
        var status = result.Error is not null ? $"[red]failed:[/] {Markup.Escape(SecretRedactor.Redact(result.Error))}"
            : result.BudgetExhausted ? "[yellow]budget exhausted: best result so far[/]"
            : "[green]ok[/]";
        ansi.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[grey]{result.Usage.Calls} calls · {result.Usage.InputTokens:N0} input + {result.Usage.OutputTokens:N0} output tokens · {result.AllCandidates.Length} candidates · {result.Elapsed.TotalSeconds:F2} s ·[/] {status}"));
    }

    private static object ToJson(RunResult result) => new
    {
        answer = result.Answer,
        answer_candidate = result.AnswerCandidate?.Id,
        succeeded = result.Succeeded,
        error = result.Error is null ? null : SecretRedactor.Redact(result.Error),
        budget_exhausted = result.BudgetExhausted,
        warnings = result.Warnings,
        layers_completed = result.LayersCompleted,
        usage = new
        {
            calls = result.Usage.Calls,
            input_tokens = result.Usage.InputTokens,
            output_tokens = result.Usage.OutputTokens,
            cost = result.Usage.Cost,
        },
        elapsed_ms = result.Elapsed.TotalMilliseconds,
        survivors = result.Survivors.Select(c => c.Id),
        candidates = result.AllCandidates.Select(c =>
        {
            // The candidate's own fields, and the layers (0-based) whose output it was part of.
            var node = JsonSerializer.SerializeToNode(c, CliJson.Options)!.AsObject();
            node["layers"] = new System.Text.Json.Nodes.JsonArray([.. result.LayerOutputs.Select((ids, layer) => (ids, layer))
                .Where(x => x.ids.Contains(c.Id)).Select(x => (System.Text.Json.Nodes.JsonNode?)x.layer)]);
            return node;
        }),
        votes = result.Votes.Select(v => new
        {
            node = v.Node,
            answer = v.Answer,
            share = v.Share,
            abstained = v.Abstained,
            tally = v.Tally.Select(t => new { answer = t.Answer, votes = t.Votes, candidates = t.Candidates }),
        }),
    };
}
