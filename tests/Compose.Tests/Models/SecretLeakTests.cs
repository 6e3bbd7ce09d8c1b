using System.Diagnostics;
using Compose.Models;
using Compose.Models.Middleware;
using Compose.Models.Providers;
using Microsoft.Extensions.AI;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>The API key appears in no log line, no exception message and no telemetry tag, even when a server echoes it.</summary>
public sealed class SecretLeakTests
{
    [Fact]
    public async Task The_key_appears_in_no_log_exception_or_activity()
    {
        var key = NewKey();
        await using var server = await FakeOpenAIServer.StartAsync(
            ServerReply.Error(429, retryAfter: "0"),
            ServerReply.Ok,
            ServerReply.Error(503),
            ServerReply.Ok,
            ServerReply.Error(401, message: $"Incorrect API key provided: {key}."));

        var sourceName = "Compose.Tests." + Guid.NewGuid().ToString("N");
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == sourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (activities) { activities.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);

        var (logs, captured) = CapturingLoggerProvider.CreateFactory();
        using (logs)
        {
            var spec = ServerSpec(server);
            var context = Context(key, logs);
            var provider = new OpenAIModelProvider(new OpenAIProviderOptions { Retry = FastRetry, IncludeRetry = false });
            var model = OpenAIModelProvider.ReadOptions(spec, context);

            // The stack the runtime builds: logging ▸ retry ▸ telemetry ▸ provider.
            using var client = new ChatClientBuilder(OpenAIModelProvider.CreateUnwrapped(spec, model, context))
                .UseLogging(logs)
                .UseComposeRetry(provider.GetRetryOptions(model), spec.Name, logs)
                .UseOpenTelemetry(logs, sourceName, telemetry => telemetry.EnableSensitiveData = false)
                .Build();

            var answer = await client.GetResponseAsync("hello");
            await foreach (var update in client.GetStreamingResponseAsync("hello again"))
            {
                Assert.DoesNotContain(key, update.Text, StringComparison.Ordinal);
            }

            var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync("and now fail"));

            Assert.Equal(401, error.Status);
            Assert.DoesNotContain(key, error.ToString(), StringComparison.Ordinal);
            Assert.Contains("Incorrect API key provided: ***", error.Message, StringComparison.Ordinal);
            Assert.Equal($"Bearer {key}", server.Requests[0].Authorization);
            Assert.Equal(5, server.Requests.Count);
        }

        var lines = captured.Entries.Select(e => e.Everything).ToList();
        Assert.Contains(captured.Entries, e => e.EventId.Id == 3500);
        Assert.Contains(captured.Entries, e => e.Category.Contains("LoggingChatClient", StringComparison.Ordinal));
        Assert.True(lines.Count >= 6, $"only {lines.Count} log entries");
        Assert.All(lines, line => Assert.DoesNotContain(key, line, StringComparison.Ordinal));
        Assert.All(lines, line => Assert.DoesNotContain(key[8..], line, StringComparison.Ordinal));

        Assert.NotEmpty(activities);
        foreach (var activity in activities)
        {
            var texts = activity.TagObjects.Select(t => $"{t.Key}={t.Value}")
                .Concat(activity.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name} {t.Key}={t.Value}")))
                .Append(activity.DisplayName)
                .Append(activity.StatusDescription ?? "");
            Assert.All(texts, text => Assert.DoesNotContain(key, text, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Redactor_masks_registered_secrets_only()
    {
        var key = NewKey();
        SecretRedactor.Register(key);
        SecretRedactor.Register("abc");

        Assert.Equal("key=*** and again ***", SecretRedactor.Redact($"key={key} and again {key}"));
        Assert.True(SecretRedactor.ContainsSecret($"x{key}x"));
        Assert.Equal("abc is too short to be a secret", SecretRedactor.Redact("abc is too short to be a secret"));
        Assert.Equal("prefix *** suffix", SecretRedactor.Redact($"prefix {key.ToUpperInvariant()} suffix"));
        Assert.False(SecretRedactor.ContainsSecret("nothing here"));
    }
}
