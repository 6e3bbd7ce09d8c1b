using Compose.Models;
using Compose.Models.Providers;

namespace Compose.Runtime;

/// <summary>The providers that ship in the Compose library: openai, scripted, pipeline (onnx ships in Compose.Onnx).</summary>
public static class StandardProviders
{
    public static ModelProviderCatalog Catalog { get; } = ModelProviderCatalog.Empty
        .With(new ScriptedModelProvider())
        .With(new PipelineModelProvider())
        .With(new OpenAIModelProvider());
}
