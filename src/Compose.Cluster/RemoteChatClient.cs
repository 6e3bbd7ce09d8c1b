using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Compose.Models;
using Microsoft.Extensions.AI;
using Orleans.Runtime;

namespace Compose.Cluster;

/// <summary>The silos a model's calls may go to, as one kind of process sees them (a silo, a front end).</summary>
internal interface IModelSilos
{
    IGrainFactory Grains { get; }

    /// <summary>The silo the model's next call goes to (counted as in flight there until <see cref="Done"/>), or null when none hosts it.</summary>
    SiloAddress? Pick(string id);

    /// <summary>A call picked by <see cref="Pick"/> ended; <paramref name="lost"/> when the silo did not answer.</summary>
    void Done(SiloAddress silo, bool lost);
}

/// <summary>
/// Picks among the silos that host a model: the one with the fewest calls in flight from this process, ties in turn;
/// a silo lost in the last 10 seconds is skipped while another is left.
/// </summary>
internal sealed class SiloRotation
{
    private static readonly TimeSpan Quarantine = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<SiloAddress, DateTime> _lost = new();
    private readonly ConcurrentDictionary<SiloAddress, StrongBox<int>> _inFlight = new();
    private int _turn;

    public SiloAddress? Pick(IReadOnlyList<SiloAddress> silos)
    {
        if (silos.Count == 0)
        {
            return null;
        }

        var now = DateTime.UtcNow;
        var start = (int)((uint)Interlocked.Increment(ref _turn) % (uint)silos.Count);
        SiloAddress? best = null;
        var bestLoad = int.MaxValue;
        var bestHealthy = false;
        for (var i = 0; i < silos.Count; i++)
        {
            var silo = silos[(start + i) % silos.Count];
            var healthy = !_lost.TryGetValue(silo, out var at) || now - at > Quarantine;
            var load = Volatile.Read(ref InFlight(silo).Value);
            if (best is null || (healthy && !bestHealthy) || (healthy == bestHealthy && load < bestLoad))
            {
                (best, bestLoad, bestHealthy) = (silo, load, healthy);
            }
        }

        Interlocked.Increment(ref InFlight(best!).Value);
        return best;
    }

    public void Done(SiloAddress silo, bool lost)
    {
        Interlocked.Decrement(ref InFlight(silo).Value);
        if (lost)
        {
            _lost[silo] = DateTime.UtcNow;
        }
    }

    /// <summary>Calls in flight to <paramref name="silo"/> from this process.</summary>
    public int Load(SiloAddress silo) => Volatile.Read(ref InFlight(silo).Value);

    private StrongBox<int> InFlight(SiloAddress silo) => _inFlight.GetOrAdd(silo, _ => new StrongBox<int>());
}

/// <summary>
/// A model hosted on other silos, called through a model grain (<c>SILO|model-id</c>) on one of them; when that silo
/// is lost the call goes to another (up to 4 silos), and a model's own failure comes back as a <see cref="ModelCallException"/>.
/// A streaming call is answered as one update (the silo answers whole responses).
/// </summary>
internal sealed class RemoteChatClient(IModelSilos silos, string id, string modelName) : IChatClient
{
    private const int MaxSilos = 4;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = new ModelCall { ModelId = id, Messages = ChatWire.Messages(messages), Options = ChatWire.Options(options) };
        for (var attempt = 1; ; attempt++)
        {
            if (silos.Pick(id) is not { } silo)
            {
                throw new ModelCallException(modelName, null, attempt, $"model '{modelName}': no silo that hosts it is up");
            }

            ModelReplyWire reply;
            var lost = false;
            try
            {
                reply = await silos.Grains.GetGrain<IModelGrain>(SiloPinnedPlacement.Key(silo, id)).CallAsync(call, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ClusterFailures.IsSiloLoss(ex, cancellationToken) && attempt < MaxSilos)
            {
                lost = true;
                continue;
            }
            catch (Exception ex) when (ClusterFailures.IsSiloLoss(ex, cancellationToken))
            {
                lost = true;
                throw new ModelCallException(modelName, null, attempt, $"model '{modelName}': the silos that host it did not answer ({ex.Message})", ex);
            }
            finally
            {
                silos.Done(silo, lost);
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
