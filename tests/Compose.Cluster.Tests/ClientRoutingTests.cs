using System.Net;
using Compose.Evaluation.Caching;
using Compose.Models;
using Compose.Runtime;
using Microsoft.Extensions.AI;
using Orleans.Runtime;

namespace Compose.Cluster.Tests;

/// <summary>A front end's routing (<see cref="ClientModelRouting"/>) over the in-process cluster's client.</summary>
public sealed class ClientRoutingTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task A_front_end_calls_a_hosted_model_on_its_silo_and_builds_other_models_itself()
    {
        await using var routing = await ClientModelRouting.StartAsync(fixture.Client, TimeSpan.FromMilliseconds(200));
        var id = ModelIdentity.Of(ClusterFixture.Models[0]);
        Assert.Equal(3, routing.Silos.Count);
        Assert.NotNull(routing.HostedElsewhere(id));
        Assert.False(routing.HostsLocally(id));
        Assert.Null(routing.HostedElsewhere("0000000000000000"));
        var hosting = Assert.Single(routing.Hosting(id));
        Assert.Equal(ClusterFixture.HostingSilo, routing.Silos.Single(s => s.Address == hosting.ToString()).Name);

        // A pipeline built with the wrapped catalog: m runs on the hosting silo, behind the shared cache.
        var path = Path.Combine(ClusterFixture.Folder, "front-end.yaml");
        File.WriteAllText(path, """
            compose: 1
            name: front-end
            models:
              m: { provider: scripted, reply: "placeholder" }
            defaults: { model: m, temperature: 0.8 }
            layers:
              - generate: { samples: 3 }
              - vote: { tie_break: first }
            output: first
            """);
        var catalog = ClusterModelProvider.Wrap(StandardProviders.Catalog, routing);
        var cache = new ResponseCache(fixture.Cache);
        var (pipeline, diagnostics) = PipelineFactory.Build(path, catalog, cache.Apply(), models: ClusterFixture.Models);
        Assert.True(pipeline is not null, string.Join("\n", diagnostics));
        using (pipeline)
        {
            var before = await CallsAsync();
            var first = await pipeline!.GetResponseAsync([new ChatMessage(ChatRole.User, "What is front-end item 1?")], new ChatOptions { Seed = 4 });
            var middle = await CallsAsync();
            Assert.Equal(3, middle[ClusterFixture.HostingSilo] - before[ClusterFixture.HostingSilo]);
            Assert.All(middle.Where(s => s.Key != ClusterFixture.HostingSilo), s => Assert.Equal(before[s.Key], s.Value));
            var again = await pipeline.GetResponseAsync([new ChatMessage(ChatRole.User, "What is front-end item 1?")], new ChatOptions { Seed = 4 });
            Assert.Equal(first.Text, again.Text);
            Assert.Equal(middle, await CallsAsync()); // answered from the cache
            Assert.Equal(3, cache.Hits);
        }

        // A model no silo hosts is built here, as its provider builds it.
        var local = routing.Local("0000000000000000", () => new ScriptedMarker());
        Assert.IsType<ScriptedMarker>(local);

        // The silos are read again on their own.
        var refreshes = routing.Refreshes;
        await WaitUntil(() => routing.Refreshes > refreshes);
    }

    [Fact]
    public void The_rotation_sends_a_call_to_the_least_busy_silo_and_skips_a_lost_one_while_another_is_left()
    {
        SiloAddress Silo(int port) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 1);
        var (a, b, c) = (Silo(1001), Silo(1002), Silo(1003));
        var rotation = new SiloRotation();
        var silos = new[] { a, b, c };

        var picked = Enumerable.Range(0, 3).Select(_ => rotation.Pick(silos)!).ToList();
        Assert.Equal(3, picked.Distinct().Count()); // one call in flight each
        rotation.Done(b, lost: false);
        Assert.Equal(b, rotation.Pick(silos)); // the only one with a free hand

        rotation.Done(a, lost: true); // a did not answer
        rotation.Done(b, lost: false);
        rotation.Done(c, lost: false);
        for (var i = 0; i < 6; i++)
        {
            var silo = rotation.Pick(silos)!;
            Assert.NotEqual(a, silo);
            rotation.Done(silo, lost: false);
        }

        Assert.Equal(a, rotation.Pick([a])); // a lost silo is still tried when it is the only one
        Assert.Null(rotation.Pick([]));
    }

    private async Task<Dictionary<string, long>> CallsAsync() =>
        (await fixture.Client.SilosAsync()).ToDictionary(s => s.Name, s => s.Calls);

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "timed out");
            await Task.Delay(50);
        }
    }

    private sealed class ScriptedMarker : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "here")));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
