using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Compose.Language;
using Compose.Models;
using Microsoft.Extensions.AI;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Compose.Cluster;

/// <summary>
/// Routing inside a silo: hosted models run here; a model hosted only elsewhere is called through a model grain on
/// one of the active silos that advertise it (in turn, skipping a silo that just failed); any other model is built here.
/// </summary>
internal sealed class SiloModelRouting(
    ModelHost host, IClusterMembershipService membership, ISiloMetadataCache metadata, ILocalSiloDetails local, IGrainFactory grainFactory) : IModelRouting
{
    private IGrainFactory Grains => grainFactory;

    /// <summary>The silo metadata key under which a silo advertises its hosted models.</summary>
    public const string ModelsKey = "compose.models";

    private readonly ConcurrentDictionary<SiloAddress, DateTime> _failed = new();
    private int _turn;

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

    private SiloAddress? Pick(string id)
    {
        var silos = Hosting(id);
        var now = DateTime.UtcNow;
        var healthy = silos.Where(s => !_failed.TryGetValue(s, out var at) || now - at > TimeSpan.FromSeconds(10)).ToList();
        var from = healthy.Count > 0 ? healthy : silos;
        return from.Count == 0 ? null : from[(int)((uint)Interlocked.Increment(ref _turn) % (uint)from.Count)];
    }

    private sealed class RemoteChatClient(SiloModelRouting routing, string id, string modelName) : IChatClient
    {
        private const int MaxSilos = 4;

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var call = new ModelCall { ModelId = id, Messages = ChatWire.Messages(messages), Options = ChatWire.Options(options) };
            for (var attempt = 1; ; attempt++)
            {
                if (routing.Pick(id) is not { } silo)
                {
                    throw new ModelCallException(modelName, null, attempt, $"model '{modelName}': no silo that hosts it is up");
                }

                ModelReplyWire reply;
                try
                {
                    reply = await routing.Grains.GetGrain<IModelGrain>(SiloPinnedPlacement.Key(silo, id)).CallAsync(call, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ClusterFailures.IsSiloLoss(ex, cancellationToken) && attempt < MaxSilos)
                {
                    routing._failed[silo] = DateTime.UtcNow;
                    continue;
                }
                catch (Exception ex) when (ClusterFailures.IsSiloLoss(ex, cancellationToken))
                {
                    throw new ModelCallException(modelName, null, attempt, $"model '{modelName}': the silos that host it did not answer ({ex.Message})", ex);
                }

                if (reply.Error is not null)
                {
                    throw new ModelCallException(modelName, reply.Status, reply.Attempts, reply.Error);
                }

                return ChatWire.ReadResponse(reply.Response ?? "{}");
            }
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            foreach (var update in response.ToChatResponseUpdates())
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}

/// <summary>Which failures of a grain call mean "that silo is gone, try another".</summary>
public static class ClusterFailures
{
    public static bool IsSiloLoss(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && (ex is OrleansMessageRejectionException or ConnectionFailedException or TimeoutException
            || (ex is OrleansException && ex.Message.Contains("is not in the cluster", StringComparison.Ordinal)));
}
