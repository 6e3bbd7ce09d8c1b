using System.Collections.Immutable;
using Compose.Language;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;

namespace Compose.Cluster.Tests;

/// <summary>
/// Three silos in this process (Orleans' in-process test cluster) sharing one response cache. Only the first silo
/// hosts the model <c>m</c> (<see cref="Models"/>); every silo answers items and may build other models itself.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string HostingSilo = "Silo_0";

    public static readonly string Folder = Path.Combine(Path.GetTempPath(), $"compose-cluster-{Guid.NewGuid():N}");

    public static string ModelsPath => Path.Combine(Folder, "models.yaml");

    public IDistributedCache Cache { get; } = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public ComposeClusterClient Client { get; private set; } = null!;

    public static ImmutableArray<ModelSpec> Models
    {
        get
        {
            var (models, diagnostics) = ModelsFileReader.ReadFile(ModelsPath);
            Assert.DoesNotContain(diagnostics, d => d.IsError);
            return models;
        }
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        await File.WriteAllTextAsync(ModelsPath, """
            models:
              m:
                provider: scripted
                latency_ms: 5
                rules:
                  - when: "What is"
                    replies: ["The answer is 1.", "The answer is 2.", "The answer is 3.", "The answer is 2."]
            """);
        var builder = new InProcessTestClusterBuilder(3);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) => silo.AddCompose(new ComposeSiloOptions
        {
            Name = options.SiloName,
            Models = options.SiloName == HostingSilo ? Models : [],
            ModelConcurrency = 4,
            BaseDirectory = Folder,
        }, Cache));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Client = new ComposeClusterClient(Cluster.Client);
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
