using Compose.Evaluation.Replay;
using Compose.Models;
using Compose.Runtime;
using Compose.Onnx;

namespace Compose.Cli;

/// <summary>
/// The providers the CLI offers: the library's standard ones plus the local ONNX runner and replayed
/// recordings, with the shipped offline model (<see cref="ShippedModel"/>) as <c>default</c>.
/// </summary>
internal static class ProviderSetup
{
    private static readonly OnnxModelProvider Onnx = new();

    public static ModelProviderCatalog Catalog { get; } = StandardProviders.Catalog
        .With(Onnx)
        .With(new ReplayModelProvider())
        .WithDefaultModel(ShippedModel.Spec);

    /// <summary>Releases the models the onnx provider loaded (their sessions hold native memory).</summary>
    public static void Dispose() => Onnx.Dispose();
}
