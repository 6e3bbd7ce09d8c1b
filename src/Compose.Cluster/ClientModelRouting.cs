using System.Collections.Immutable;
using System.Threading.Channels;
using Compose.Language;
using Compose.Models;
using Microsoft.Extensions.AI;
using Orleans.Runtime;

namespace Compose.Cluster;

/// <summary>
/// Routing on a front end (<c>compose serve --cluster</c>: an Orleans client, not a silo). A model some silo hosts is
/// called through a model grain on one of the silos that host it (<see cref="SiloRotation"/>: the one with the fewest
/// calls in flight from here, ties in turn; a silo that does not answer is skipped and the call goes to another);
/// any other model is built here as its provider builds it. Which silos host which models is read from the cluster
/// (<see cref="ComposeClusterClient.SilosAsync"/>) on start, every <see cref="RefreshInterval"/> and at once after a
/// silo is lost.
/// </summary>
public sealed class ClientModelRouting : IModelRouting, IModelSilos, IAsyncDisposable
{
    /// <summary>How often the hosting silos are read again when nothing failed.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(5);

    private readonly ComposeClusterClient _client;
    private readonly SiloRotation _rotation = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private Task _loop = Task.CompletedTask;
    private long _refreshes;

    private ClientModelRouting(ComposeClusterClient client, TimeSpan refreshInterval)
    {
        _client = client;
        RefreshInterval = refreshInterval;
    }

    public TimeSpan RefreshInterval { get; }

    /// <summary>The silos as last read (active ones that answered).</summary>
    public IReadOnlyList<SiloView> Silos => _snapshot.Views;

    /// <summary>Times the hosting silos have been read.</summary>
    public long Refreshes => Interlocked.Read(ref _refreshes);

    public IGrainFactory Grains => _client.Client;

    /// <summary>Reads the cluster's silos once (throws when that fails), then keeps them current until disposed.</summary>
    public static async Task<ClientModelRouting> StartAsync(ComposeClusterClient client, TimeSpan? refreshInterval = null, CancellationToken cancellationToken = default)
    {
        var routing = new ClientModelRouting(client, refreshInterval ?? DefaultRefreshInterval);
        await routing.RefreshAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        routing._loop = Task.Run(routing.LoopAsync, CancellationToken.None);
        return routing;
    }

    /// <summary>Reads which silos host which models now.</summary>
    public async Task RefreshAsync()
    {
        var hosts = await _client.HostsAsync().ConfigureAwait(false);
        _snapshot = new Snapshot(hosts);
        Interlocked.Increment(ref _refreshes);
    }

    public bool HostsLocally(string id) => false;

    public ModelCapabilities? HostedElsewhere(string id) =>
        _snapshot.Hosting.TryGetValue(id, out var silos) ? silos.Aggregate((ModelCapabilities)~0, (all, s) => all & s.Capabilities) : null;

    public IChatClient Local(string id, Func<IChatClient> create) => create();

    public IChatClient Remote(string id, ModelSpec spec) => new RemoteChatClient(this, id, spec.Name);

    /// <summary>The silos that host the model, as last read.</summary>
    public IReadOnlyList<SiloAddress> Hosting(string id) =>
        _snapshot.Hosting.TryGetValue(id, out var silos) ? [.. silos.Select(s => s.Silo)] : [];

    public SiloAddress? Pick(string id) => _rotation.Pick(Hosting(id));

    public void Done(SiloAddress silo, bool lost)
    {
        _rotation.Done(silo, lost);
        if (lost)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            using (var tick = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                tick.CancelAfter(RefreshInterval);
                try
                {
                    await _wake.Reader.ReadAsync(tick.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    // the interval passed
                }
            }

            if (stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await RefreshAsync().WaitAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not OutOfMemoryException)
            {
                // The cluster did not answer this time: keep the last view (calls to a lost silo move on by themselves) and try again.
            }
        }
    }

    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new([]);

        public Snapshot(IReadOnlyList<(SiloAddress Silo, SiloView View)> hosts)
        {
            Views = [.. hosts.Select(h => h.View)];
            Hosting = hosts
                .SelectMany(h => h.View.Models.Select(m => (Id: m.Key, h.Silo, Capabilities: (ModelCapabilities)m.Value)))
                .GroupBy(m => m.Id, StringComparer.Ordinal)
                .ToImmutableDictionary(g => g.Key, g => g.Select(m => (m.Silo, m.Capabilities)).ToImmutableArray(), StringComparer.Ordinal);
        }

        public ImmutableArray<SiloView> Views { get; }

        public ImmutableDictionary<string, ImmutableArray<(SiloAddress Silo, ModelCapabilities Capabilities)>> Hosting { get; }
    }
}
