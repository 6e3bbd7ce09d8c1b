using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Compose.Cluster;

/// <summary>A connection to a Compose cluster from outside it (a coordinator: <c>compose eval/search/serve --cluster</c>).</summary>
public sealed class ComposeClusterClient : IAsyncDisposable
{
    private readonly IHost? _host;

    /// <summary>A client over an existing Orleans client (a test cluster's).</summary>
    public ComposeClusterClient(IClusterClient client, ClusterConnection? connection = null)
    {
        Client = client;
        Connection = connection;
        Dispatcher = new ClusterDispatcher(client);
    }

    private ComposeClusterClient(IHost host, ClusterConnection connection)
        : this(host.Services.GetRequiredService<IClusterClient>(), connection)
    {
        _host = host;
    }

    /// <summary>How long <see cref="ConnectAsync"/> keeps trying when no silo's gateway answers (none is up yet, or none at all).</summary>
    public static TimeSpan ConnectTimeout { get; } = TimeSpan.FromSeconds(20);

    public IClusterClient Client { get; }

    public ClusterConnection? Connection { get; }

    /// <summary>Spreads items over the silos.</summary>
    public ClusterDispatcher Dispatcher { get; }

    /// <summary>Connects to the cluster; throws when its Redis or every silo is unreachable.</summary>
    public static async Task<ComposeClusterClient> ConnectAsync(ClusterConnection connection, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => client
            .UseRedisClustering(connection.Redis)
            .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (connection.ClusterId, "compose"))
            .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ComposeSilo.ResponseTimeout)
            .UseConnectionRetryFilter(new GiveUpAfter(ConnectTimeout).ShouldRetryConnectionAttempt));
        return new ComposeClusterClient(await ComposeSilo.StartHostAsync(builder, cancellationToken).ConfigureAwait(false), connection);
    }

    /// <summary>Every active silo's view: its models and capacity.</summary>
    public async Task<IReadOnlyList<SiloView>> SilosAsync() => [.. (await HostsAsync().ConfigureAwait(false)).Select(h => h.View)];

    /// <summary>Every active silo that answers, with its address and view, in address order.</summary>
    internal async Task<IReadOnlyList<(SiloAddress Silo, SiloView View)>> HostsAsync()
    {
        var hosts = await Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).ConfigureAwait(false);
        var views = await Task.WhenAll(hosts.Keys.Select(async silo =>
        {
            try
            {
                return (Silo: silo, View: await Client.GetGrain<ISiloWorkerGrain>(SiloPinnedPlacement.Key(silo, "worker")).DescribeAsync().ConfigureAwait(false));
            }
            catch (Exception ex) when (ClusterFailures.IsSiloLoss(ex, CancellationToken.None))
            {
                return (Silo: silo, View: (SiloView?)null);
            }
        })).ConfigureAwait(false);
        return [.. views.Where(v => v.View is not null).Select(v => (v.Silo, v.View!)).OrderBy(v => v.Item2.Address, StringComparer.Ordinal)];
    }

    public async ValueTask DisposeAsync()
    {
        Dispatcher.Dispose();
        if (_host is not null)
        {
            try
            {
                await _host.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or OrleansException)
            {
                // the cluster is gone; nothing to close politely
            }

            _host.Dispose();
        }
    }

    /// <summary>Retries connecting (silos may be starting) until <paramref name="limit"/> has passed since the first failure.</summary>
    private sealed class GiveUpAfter(TimeSpan limit)
    {
        private readonly System.Diagnostics.Stopwatch _clock = new();

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            _clock.Start();
            if (_clock.Elapsed >= limit || cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return true;
        }
    }
}
