using Compose.Compilation;
using Compose.Examples;
using Compose.Models;
using Compose.Runtime;
using Compose.Techniques;

// Registers a technique of one's own (keyword_filter, from KeywordFilter/KeywordFilter.cs) next to the built-ins, then
// validates, graphs and runs a pipeline that uses it. Offline: the pipeline's models are scripted.
//
//   dotnet run --project examples/CustomTechnique/App [-- PIPELINE.yaml ["QUESTION"]]
var path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "pipeline.yaml");
var question = args.Length > 1 ? args[1] : "What is the capital of Australia?";

// 1. The catalog: the standard providers, the built-in techniques and keyword_filter.
var catalog = StandardProviders.Catalog.WithTechniques(TechniqueCatalog.BuiltIn.With(new KeywordFilterDefinition()));

// 2. Validate: read, check and compile; every problem comes back as a located diagnostic.
var compiled = PipelineFactory.Compile(path, catalog);
foreach (var diagnostic in compiled.Diagnostics)
{
    Console.Error.WriteLine(diagnostic);
}

if (!compiled.Success)
{
    return 2;
}

// 3. The graph with its static upper bounds: keyword_filter's row shows 0 calls.
Console.Write(GraphRenderer.Text(compiled.Graph!));
Console.WriteLine();

// 4. Run one question; print what each layer passed on, then the answer.
var (pipeline, problems) = PipelineFactory.Build(path, catalog);
if (pipeline is null)
{
    foreach (var problem in problems)
    {
        Console.Error.WriteLine(problem);
    }

    return 2;
}

using (pipeline)
{
    var result = await pipeline.RunAsync(question, new RunOptions { Seed = 1 });
    var texts = result.AllCandidates.ToDictionary(c => c.Id, c => c.Text);
    for (var layer = 0; layer < result.LayerOutputs.Length; layer++)
    {
        var nodes = string.Join(", ", pipeline.Graph.NodesInLayer(layer).Select(n => n.Id));
        Console.WriteLine($"layer {layer + 1} ({nodes}) passed on {result.LayerOutputs[layer].Length}:");
        foreach (var id in result.LayerOutputs[layer])
        {
            Console.WriteLine($"  {id}: {texts[id]}");
        }
    }

    Console.WriteLine();
    if (!result.Succeeded)
    {
        Console.Error.WriteLine($"no answer: {result.Error}");
        return 1;
    }

    Console.WriteLine($"answer: {result.Answer}");
    Console.WriteLine($"usage: {result.Usage.Calls} calls");
    return 0;
}
