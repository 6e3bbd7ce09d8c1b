using System.Net;
using Compose.Language;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Compose.Cluster;

/// <summary>Where a silo listens: the address other machines reach it at, its silo-to-silo port and its client gateway port.</summary>
public sealed record SiloEndpoints(IPAddress Address, int SiloPort = 11111, int GatewayPort = 30000);

/// <summary>Hosting Compose in an Orleans silo.</summary>
public static class ComposeSilo
{
    /// <summary>How long one model call or one item may take across the cluster before it counts as lost.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Adds Compose to a silo: the models it hosts (advertised in the silo's metadata), the per-model limit, the
    /// worker that answers items, the placement of model and worker grains, and <paramref name="cache"/> as the
    /// response cache every pipeline on the silo shares. Throws a <see cref="DiagnosticException"/> when a hosted
    /// model cannot be used here.
    /// </summary>
    public static ISiloBuilder AddCompose(this ISiloBuilder silo, ComposeSiloOptions options, IDistributedCache cache)
    {
        var models = new ModelHost(options);
        silo.UseSiloMetadata(new Dictionary<string, string>
        {
            [SiloModelRouting.ModelsKey] = models.Advertised(),
            ["compose.name"] = options.Name,
        });
        silo.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout);
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            // A silo that stops answering probes is declared dead in about 10 s (two missed 5 s probes; Orleans' default is
            // three), so its work moves on quickly; a silo stalled for a few seconds by a busy machine is not declared dead.
            o.ProbeTimeout = TimeSpan.FromSeconds(5);
            o.NumMissedProbesLimit = 2;
        });
        silo.ConfigureServices(services =>
        {
            services.AddSingleton(models);
            services.AddSingleton(cache);
            services.AddSingleton<SiloModelRouting>();
            services.AddSingleton<IModelRouting>(sp => sp.GetRequiredService<SiloModelRouting>());
            services.AddSingleton<JobHost>();
        });
        return silo;
    }

    /// <summary>The cluster's shared response cache in its Redis.</summary>
    public static IDistributedCache RedisCache(ClusterConnection connection) =>
        new RedisCache(Options.Create(new RedisCacheOptions { Configuration = connection.Redis, InstanceName = connection.KeyPrefix + "cache:" }));

    /// <summary>Starts a silo that joins <paramref name="connection"/>'s cluster (Redis membership) and serves until stopped.</summary>
    public static async Task<IHost> StartAsync(ComposeSiloOptions options, ClusterConnection connection, SiloEndpoints endpoints, LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel)
            .AddFilter("Orleans.Runtime.Silo", LogLevel.Error) // advice on server GC
            .AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error) // start-up stalls on a busy machine
            .AddFilter("Orleans.Messaging", LogLevel.Critical); // calls to a silo that left, which Compose retries elsewhere
        builder.UseOrleans(silo =>
        {
            silo.UseRedisClustering(connection.Redis)
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (connection.ClusterId, "compose"))
                .ConfigureEndpoints(endpoints.Address, endpoints.SiloPort, endpoints.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(endpoints.Address))
                .AddCompose(options, RedisCache(connection));
        });
        return await StartHostAsync(builder, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds and starts a host; one that fails to start is disposed.</summary>
    internal static async Task<IHost> StartHostAsync(HostApplicationBuilder builder, CancellationToken cancellationToken)
    {
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }
}
