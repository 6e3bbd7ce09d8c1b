using System.Net;
using System.Text;
using System.Text.Json;
using Compose.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Compose.Serving.Tests;

/// <summary>
/// A pipeline whose model is a broken OpenAI-compatible upstream (a real Kestrel on 127.0.0.1 answering
/// garbage): the 500 that serve sends carries the failure's own message, never .NET exception text.
/// </summary>
public sealed class UpstreamFailureTests
{
    private static readonly Dictionary<string, (int Status, string ContentType, string Body)> s_replies = new()
    {
        ["html"] = (200, "text/html", "<html><body>502 Bad Gateway</body></html>"),
        ["truncated json"] = (200, "application/json", """{"id":"x","object":"chat.completion","choices":[{"index":0,"message":"""),
        ["wrong shape"] = (200, "application/json", """{"choices":"nope","usage":17}"""),
        ["empty"] = (200, "application/json", ""),
        ["500 echoing a stack trace"] = (500, "application/json",
            """{"error":{"message":"System.NullReferenceException: Object reference not set to an instance of an object.\n   at Upstream.Handler.Run() in /src/Handler.cs:line 42"}}"""),
    };

    public static TheoryData<string, bool> Replies()
    {
        var data = new TheoryData<string, bool>();
        foreach (var reply in s_replies.Keys)
        {
            data.Add(reply, false);
            data.Add(reply, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public async Task A_malformed_upstream_reply_is_a_clean_500(string reply, bool stream)
    {
        await using var upstream = await StartUpstreamAsync(s_replies[reply]);
        var yaml = $$"""
            compose: 1
            name: upstream
            models:
              m: { provider: openai, base_url: "{{upstream.Urls.First()}}/v1", model: fake, max_retries: 0, timeout_seconds: 20 }
            defaults: { model: m }
            layers:
              - generate: { samples: 1 }
            """;
        await using var server = await TestServer.StartAsync(null, yaml);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var body = $$"""{"model":"upstream","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";
        using var response = await http.PostAsync(new Uri(server.BaseAddress + "/chat/completions"), new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Handler.cs", text, StringComparison.Ordinal);
        if (stream && s_replies[reply].Status == 200)
        {
            // The openai provider reads a 200 that is not an event stream as an empty stream (its own matter, not
            // serve's): whatever comes back must still be free of internals, checked above.
            return;
        }

        Assert.True(response.StatusCode == HttpStatusCode.InternalServerError, text);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("pipeline_failed", error.GetProperty("code").GetString());
        Assert.StartsWith("pipeline 'upstream' produced no answer: ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("System.Text.Json.JsonException: '<' is an invalid start of a value.\n   at System.Text.Json.ThrowHelper.Throw()", "error: '<' is an invalid start of a value.")]
    [InlineData("m: could not reach the server (network error (HttpRequestException)) after 1 attempt; check base_url", "m: could not reach the server (network error (error)) after 1 attempt; check base_url")]
    [InlineData("Object reference not set, in System.Collections.Generic.Dictionary`2.FindValue", "Object reference not set, in (internal)")]
    [InlineData("", "the run failed")]
    [InlineData(null, "the run failed")]
    public void Failure_messages_lose_stack_traces_and_type_names(string? error, string expected) =>
        Assert.Equal(expected, ComposeServer.PublicMessage(error));

    [Fact]
    public void Failure_messages_lose_secrets_and_length()
    {
        SecretRedactor.Register("sk-upstream-secret-4242");
        Assert.Equal($"m: HTTP 401 (key {SecretRedactor.Mask})", ComposeServer.PublicMessage("m: HTTP 401 (key sk-upstream-secret-4242)"));
        Assert.Equal(503, ComposeServer.PublicMessage(new string('x', 5000)).Length);
    }

    [Fact]
    public async Task A_failure_inside_the_server_is_a_generic_500_and_logged_in_full()
    {
        var logs = new LogCapture();
        await using var server = await TestServer.StartAsync(null, app =>
        {
            app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
            app.MapGet("/v1/boom", string () => throw new InvalidOperationException("internal detail: connection string Server=db;Password=hunter2"));
        });
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(server.BaseAddress + "/boom"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("internal_error", error.GetProperty("code").GetString());
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.Contains("InvalidOperationException", StringComparison.Ordinal) && l.Contains("/v1/boom", StringComparison.Ordinal));
    }

    /// <summary>Keeps every log line with its exception, as an operator would see them.</summary>
    private sealed class LogCapture : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{logLevel} {formatter(state, exception)} {exception}");

        public void Dispose()
        {
        }
    }

    private static async Task<WebApplication> StartUpstreamAsync((int Status, string ContentType, string Body) reply)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = reply.ContentType;
            await context.Response.WriteAsync(reply.Body);
        });
        await app.StartAsync();
        return app;
    }
}
