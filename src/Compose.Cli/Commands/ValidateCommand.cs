using System.CommandLine;
using System.Text.Json;
using Compose.Compilation;
using Compose.Language;

namespace Compose.Cli.Commands;

/// <summary><c>compose validate FILE...</c>: every problem of every file, with location, code and hint.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliConsole console)
    {
        var files = new Argument<string[]>("files") { Description = "Pipeline files to check.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print the diagnostics as JSON." };
        var models = CommandSupport.ModelsOption();
        var command = new Command("validate", "Check pipeline files and report every problem (exit code 2 if any has an error).") { files, json, models };
        command.SetAction((parse, ct) =>
        {
            var all = new List<(string File, IReadOnlyList<Diagnostic> Diagnostics, PipelineGraph? Graph)>();
            foreach (var file in parse.GetValue(files)!)
            {
                ct.ThrowIfCancellationRequested();
                var result = CommandSupport.Compile(file, parse.GetValue(models), console, parse);
                var diagnostics = result.Diagnostics.ToList();
                if (result.Graph is not null && result.Success)
                {
                    diagnostics.AddRange(CommandSupport.TemplateProblems(result.Graph, parse));
                }

                all.Add((file, diagnostics, result.Graph));
            }

            var failed = all.Any(f => f.Diagnostics.Any(d => d.IsError));
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(
                    all.Select(f => new
                    {
                        file = f.File,
                        valid = !f.Diagnostics.Any(d => d.IsError),
                        calls_bound = f.Graph?.Bound.Calls,
                        tokens_bound = f.Graph?.Bound.TotalTokens,
                        diagnostics = f.Diagnostics.Select(DiagnosticPrinter.ToJson),
                    }),
                    CliJson.Options));
            }
            else
            {
                foreach (var (file, diagnostics, graph) in all)
                {
                    DiagnosticPrinter.Print(console.Error, diagnostics);
                    if (!diagnostics.Any(d => d.IsError) && graph is not null)
                    {
                        console.Out.WriteLine($"{file}: ok ({graph.LayerCount} layers, {graph.Nodes.Length} nodes; at most {graph.Bound.Calls} calls and {graph.Bound.TotalTokens:N0} tokens per question)");
                    }
                    else
                    {
                        var errors = diagnostics.Count(d => d.IsError);
                        console.Error.WriteLine($"{file}: {errors} error{(errors == 1 ? "" : "s")}, {diagnostics.Count - errors} warning{(diagnostics.Count - errors == 1 ? "" : "s")}");
                    }
                }
            }

            return Task.FromResult(failed ? ExitCodes.BadInput : ExitCodes.Success);
        });
        return command;
    }
}
