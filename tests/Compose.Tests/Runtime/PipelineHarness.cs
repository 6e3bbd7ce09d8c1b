using Compose.Compilation;
using Compose.Models;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

internal static class PipelineHarness
{
    /// <summary>Compiles and builds pipeline text; models named in <paramref name="clients"/> use provider: instance.</summary>
    public static RunnablePipeline Build(string yaml, IReadOnlyDictionary<string, IChatClient>? clients = null, string? directory = null, Compose.Techniques.TechniqueCatalog? techniques = null,
        ModelCapabilities offers = ModelCapabilities.None)
    {
        var catalog = StandardProviders.Catalog.With(new InstanceProvider(clients ?? new Dictionary<string, IChatClient>(), offers));
        catalog = techniques is null ? catalog : catalog.WithTechniques(techniques);
        var dir = directory ?? Directory.GetCurrentDirectory();
        var context = new ModelProviderContext { BaseDirectory = dir, Catalog = catalog };
        var compiled = PipelineCompiler.CompileText(yaml, Path.Combine(dir, "test.yaml"), catalog, context);
        Assert.True(compiled.Success, string.Join("\n", compiled.Diagnostics));
        var (pipeline, diagnostics) = RunnablePipeline.Build(compiled.Graph!, catalog, context);
        Assert.True(pipeline is not null, string.Join("\n", diagnostics));
        return pipeline!;
    }
}
