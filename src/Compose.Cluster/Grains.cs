using Orleans.Concurrency;

namespace Compose.Cluster;

/// <summary>A model hosted on one silo; the key is <c>SILO|model-id</c> (<see cref="SiloPinnedPlacement"/>).</summary>
[Alias("compose.IModelGrain")]
public interface IModelGrain : IGrainWithStringKey
{
    [Alias("call")]
    Task<ModelReplyWire> CallAsync(ModelCall call, CancellationToken cancellationToken = default);
}

/// <summary>The work of one silo: answering benchmark items; the key is <c>SILO|worker</c> (<see cref="SiloPinnedPlacement"/>).</summary>
[Alias("compose.ISiloWorkerGrain")]
public interface ISiloWorkerGrain : IGrainWithStringKey
{
    [Alias("evaluate")]
    Task<ItemOutcome> EvaluateAsync(ItemWork work, CancellationToken cancellationToken = default);

    [Alias("describe")]
    Task<SiloView> DescribeAsync();
}

[Reentrant]
[SiloPinnedPlacement]
internal sealed class ModelGrain(ModelHost host, ILocalSiloDetails silo) : Grain, IModelGrain
{
    public Task<ModelReplyWire> CallAsync(ModelCall call, CancellationToken cancellationToken = default) =>
        host.CallAsync(call, silo.SiloAddress.ToString(), cancellationToken);
}

[Reentrant]
[SiloPinnedPlacement]
internal sealed class SiloWorkerGrain(JobHost jobs, ModelHost models, ILocalSiloDetails silo) : Grain, ISiloWorkerGrain
{
    public Task<ItemOutcome> EvaluateAsync(ItemWork work, CancellationToken cancellationToken = default) =>
        jobs.EvaluateAsync(work, silo.SiloAddress.ToString(), cancellationToken);

    public Task<SiloView> DescribeAsync() => Task.FromResult(new SiloView
    {
        Address = silo.SiloAddress.ToString(),
        Name = models.Options.Name,
        Models = ModelHost.ParseAdvertised(models.Advertised()),
        ModelConcurrency = models.Options.ModelConcurrency,
        Calls = models.Calls,
        Items = jobs.Items,
    });
}
