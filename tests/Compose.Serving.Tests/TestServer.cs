using Compose.Compilation;
using Compose.Models;
using Compose.Runtime;
using Microsoft.AspNetCore.Builder;

namespace Compose.Serving.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 (a free port) serving scripted pipelines.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string Key = "sk-test-7f3a";

    public const string Single = """
        compose: 1
        name: single
        models:
          m: { provider: scripted, rules: [ { when: "capital of France", reply: "Paris is the capital of France." } ], default: "I only know capitals." }
        defaults: { model: m }
        layers:
          - generate: { samples: 1 }
        """;

    public const string Voted = """
        compose: 1
        name: voted
        models:
          m: { provider: scripted, default: "The answer is 4." }
        defaults: { model: m }
        layers:
          - generate: { samples: 3 }
          - vote: {}
        """;

    private readonly WebApplication _app;
    private readonly List<RunnablePipeline> _pipelines;

    private TestServer(WebApplication app, List<RunnablePipeline> pipelines)
    {
        _app = app;
        _pipelines = pipelines;
    }

    public Uri BaseAddress => new(_app.Urls.First() + "/v1");

    public int Port => new Uri(_app.Urls.First()).Port;

    public static Task<TestServer> StartAsync(ServeOptions? options = null, params string[] yamls) => StartAsync(options, _ => { }, yamls);

    /// <summary>Builds the server, lets <paramref name="configure"/> add to it (an endpoint, a log provider), then starts it.</summary>
    public static async Task<TestServer> StartAsync(ServeOptions? options, Action<WebApplication> configure, params string[] yamls)
    {
        var pipelines = (yamls.Length == 0 ? [Single, Voted] : yamls).Select(Build).ToList();
        var app = ComposeServer.Build(pipelines, (options ?? new ServeOptions()) with { Urls = "http://127.0.0.1:0", LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning });
        configure(app);
        await app.StartAsync();
        return new TestServer(app, pipelines);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _pipelines.ForEach(p => p.Dispose());
    }

    private static RunnablePipeline Build(string yaml)
    {
        var catalog = StandardProviders.Catalog;
        var context = new ModelProviderContext { BaseDirectory = Path.GetTempPath(), Catalog = catalog };
        var compiled = PipelineCompiler.CompileText(yaml, Path.Combine(Path.GetTempPath(), "test.yaml"), catalog, context);
        var (pipeline, diagnostics) = RunnablePipeline.Build(compiled.Graph!, catalog, context);
        return pipeline ?? throw new InvalidOperationException(string.Join("\n", diagnostics));
    }
}
