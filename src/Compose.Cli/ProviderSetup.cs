using Compose.Evaluation.Replay;
using Compose.Models;
using Compose.Onnx;

namespace Compose.Cli;

/// <summary>
/// The providers the CLI offers: the library's standard ones plus the local ONNX runner and replayed
/// recordings, with the shipped offline model (<see cref="ShippedModel"/>) as <c>default</c>.
/// </summary>
internal static class ProviderSetup
{
    public static ModelProviderCatalog Catalog { get; } = StandardProviders.Catalog
        .With(new OnnxModelProvider())
        .With(new ReplayModelProvider())
        .WithDefaultModel(ShippedModel.Spec);
}
