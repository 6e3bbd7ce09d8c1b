using System.Collections.Immutable;
using Compose.IO;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;

namespace Compose.Cluster;

/// <summary>How one Compose silo is set up.</summary>
public sealed record ComposeSiloOptions
{
    /// <summary>The silo's name in logs and in <c>compose cluster status</c>.</summary>
    public string Name { get; init; } = Environment.MachineName;

    /// <summary>The models this silo hosts (a <c>--models</c> file): other silos' calls to them are placed here.</summary>
    public ImmutableArray<ModelSpec> Models { get; init; } = [];

    /// <summary>Calls this silo runs at once on each model (hosted or not): its capacity per model.</summary>
    public int ModelConcurrency { get; init; } = 4;

    /// <summary>The providers and techniques this silo builds models and pipelines with.</summary>
    public ModelProviderCatalog Catalog { get; init; } = StandardProviders.Catalog;

    /// <summary>Bounds on the files this silo reads for its own models.</summary>
    public FileAccessPolicy Files { get; init; } = FileAccessPolicy.Default;

    /// <summary>Folder relative model paths resolve against when a model has no file of its own.</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>Pipelines of distinct jobs kept built on this silo (the least recently used idle one is released beyond it).</summary>
    public int MaxJobs { get; init; } = 32;
}
