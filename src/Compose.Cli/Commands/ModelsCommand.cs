using System.CommandLine;
using Compose.Language;
using Compose.Onnx;

namespace Compose.Cli.Commands;

/// <summary><c>compose models inspect PATH</c>: what Compose reads from a local ONNX model folder.</summary>
internal static class ModelsCommand
{
    public static Command Create(CliConsole console)
    {
        var path = new Argument<string>("path") { Description = "An ONNX Runtime GenAI model folder." };
        var inspect = new Command("inspect", "Show the architecture, sizes, cache layout, tokenizer and chat format of a model folder.") { path };
        inspect.SetAction((parse, ct) =>
        {
            try
            {
                console.Out.WriteLine(OnnxModelInspector.Describe(parse.GetValue(path)!));
                return Task.FromResult(ExitCodes.Success);
            }
            catch (DiagnosticException ex)
            {
                DiagnosticPrinter.Print(console.Error, ex.Diagnostics);
                return Task.FromResult(ExitCodes.BadInput);
            }
        });
        return new Command("models", "Inspect local ONNX Runtime GenAI model folders (such as the shipped default model, models/arith) for use with provider: onnx.") { inspect };
    }
}
