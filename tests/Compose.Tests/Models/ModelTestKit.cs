using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;
using Compose.Models.Middleware;
using Compose.Models.Providers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Compose.Tests.Models;

/// <summary>Builders shared by the model tests: specs with locations, contexts with a fake environment, fast retries.</summary>
internal static class ModelTestKit
{
    public const string SourceFile = "pipeline.yaml";
    public const string KeyVariable = "COMPOSE_TEST_KEY";

    /// <summary>Millisecond backoffs so retry tests stay fast.</summary>
    public static RetryOptions FastRetry { get; } = RetryOptions.Default with
    {
        BaseDelay = TimeSpan.FromMilliseconds(2),
        MaxDelay = TimeSpan.FromMilliseconds(40),
    };

    public static OpenAIModelProvider Provider(RetryOptions? retry = null) =>
        new(new OpenAIProviderOptions { Retry = retry ?? FastRetry });

    /// <summary>A fresh key per test, so tests never see each other's secrets.</summary>
    public static string NewKey() => "sk-test-" + Guid.NewGuid().ToString("N");

    /// <summary>A model spec as the reader would produce it: option i on line i + 3.</summary>
    public static ModelSpec Spec(string name, params (string Key, string Value)[] options) =>
        SpecWith(name, [.. options.Select(o => (o.Key, (SpecNode?)null, o.Value))]);

    public static ModelSpec SpecWith(string name, params (string Key, SpecNode? Node, string Value)[] options)
    {
        var entries = options.Select((o, i) =>
        {
            var keyLocation = new SourceLocation(SourceFile, i + 3, 5);
            var value = o.Node ?? new SpecScalar(o.Value, keyLocation with { Column = 7 + o.Key.Length });
            return new SpecEntry(o.Key, keyLocation, value);
        });
        var mapping = new SpecMapping([.. entries], new SourceLocation(SourceFile, 3, 5));
        return new ModelSpec(name, "openai", mapping, new SourceLocation(SourceFile, 2, 3));
    }

    /// <summary>A spec pointing at the fake server with the test key variable.</summary>
    public static ModelSpec ServerSpec(FakeOpenAIServer server, string name = "gpt", params (string Key, string Value)[] extra) =>
        Spec(name, [("model", "test-model"), ("base_url", server.BaseUrl.ToString()), ("api_key_env", KeyVariable), .. extra]);

    public static ModelProviderContext Context(string? key = null, ILoggerFactory? loggerFactory = null) => new()
    {
        BaseDirectory = ".",
        Catalog = ModelProviderCatalog.Empty,
        Environment = name => name == KeyVariable ? key : null,
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
    };

    public static ImmutableArray<string> Codes(IEnumerable<Diagnostic> diagnostics) => [.. diagnostics.Select(d => d.Code)];
}
