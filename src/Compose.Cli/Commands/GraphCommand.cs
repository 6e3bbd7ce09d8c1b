using System.CommandLine;
using Compose.Compilation;

namespace Compose.Cli.Commands;

/// <summary><c>compose graph FILE [--format text|mermaid|dot]</c>: what will run and the most it can cost.</summary>
internal static class GraphCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("file") { Description = "The pipeline file." };
        var format = new Option<string>("--format", "-f") { Description = "Output format: text, mermaid or dot.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "mermaid", "dot");
        var models = CommandSupport.ModelsOption();
        var command = new Command("graph", "Show the compiled graph of a pipeline with its static bounds on calls and tokens per question.") { file, format, models };
        command.SetAction((parse, ct) =>
        {
            var result = CommandSupport.Compile(parse.GetValue(file)!, parse.GetValue(models), console, parse);
            DiagnosticPrinter.Print(console.Error, result.Diagnostics);
            if (!result.Success)
            {
                return Task.FromResult(ExitCodes.BadInput);
            }

            var graph = result.Graph!;
            console.Out.WriteLine(parse.GetValue(format) switch
            {
                "mermaid" => GraphRenderer.Mermaid(graph),
                "dot" => GraphRenderer.Dot(graph),
                _ => GraphRenderer.Text(graph),
            });
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
