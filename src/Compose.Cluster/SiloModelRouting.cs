using Compose.Language;
using Compose.Models;
using Microsoft.Extensions.AI;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Compose.Cluster;

/// <summary>
/// Routing inside a silo: hosted models run here; a model hosted only elsewhere is called through a model grain on
/// one of the active silos that advertise it (<see cref="SiloRotation"/>: the least busy, skipping a silo just lost); any other model is built here.
/// </summary>
internal sealed class SiloModelRouting(
    ModelHost host, IClusterMembershipService membership, ISiloMetadataCache metadata, ILocalSiloDetails local, IGrainFactory grainFactory) : IModelRouting, IModelSilos
{
    public IGrainFactory Grains => grainFactory;

    /// <summary>The silo metadata key under which a silo advertises its hosted models.</summary>
    public const string ModelsKey = "compose.models";

    private readonly SiloRotation _rotation = new();

    public bool HostsLocally(string id) => host.Hosted.ContainsKey(id);

    public ModelCapabilities? HostedElsewhere(string id)
    {
        ModelCapabilities? all = null;
        foreach (var silo in Hosting(id))
        {
            var capabilities = (ModelCapabilities)ModelHost.ParseAdvertised(Advertised(silo))[id];
            all = all is null ? capabilities : all & capabilities;
        }

        return all;
    }

    public IChatClient Local(string id, Func<IChatClient> create) =>
        host.Hosted.ContainsKey(id) ? host.Client(id) : host.Limited(id, create());

    public IChatClient Remote(string id, ModelSpec spec) => new RemoteChatClient(this, id, spec.Name);

    /// <summary>The active silos other than this one that advertise the model.</summary>
    public List<SiloAddress> Hosting(string id) =>
        [.. membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(local.SiloAddress))
            .Select(m => m.SiloAddress)
            .Where(s => ModelHost.ParseAdvertised(Advertised(s)).ContainsKey(id))
            .OrderBy(s => s.ToString(), StringComparer.Ordinal)];

    private string? Advertised(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(ModelsKey, out var text) ? text : null;

    public SiloAddress? Pick(string id) => _rotation.Pick(Hosting(id));

    public void Done(SiloAddress silo, bool lost) => _rotation.Done(silo, lost);
}

/// <summary>Which failures of a grain call mean "that silo is gone, try another".</summary>
public static class ClusterFailures
{
    public static bool IsSiloLoss(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && (ex is OrleansMessageRejectionException or ConnectionFailedException or TimeoutException
            || (ex is OrleansException && ex.Message.Contains("is not in the cluster", StringComparison.Ordinal)));
}
