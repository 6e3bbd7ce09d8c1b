using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Compose.Models;
using Compose.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Compose.Serving;

/// <summary>
/// An OpenAI-compatible server over compiled pipelines (one model per pipeline, by pipeline name):
/// <c>GET /v1/models</c>, <c>POST /v1/chat/completions</c> (JSON, or server-sent events with
/// <c>"stream": true</c>), usage in every response. Optional bearer-key auth, a request body limit
/// (413), a concurrency limit with a bounded queue (429 beyond it), structured console logs, and a
/// graceful stop on SIGINT/SIGTERM (in-flight requests finish, up to <see cref="ServeOptions.ShutdownTimeout"/>).
/// Every error has OpenAI's shape. Pipelines are shared by concurrent requests; each run keeps its state to itself.
/// </summary>
public static class ComposeServer
{
    /// <summary>Builds the server (not started). The caller owns the pipelines.</summary>
    public static WebApplication Build(IReadOnlyList<CompiledPipeline> pipelines, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(pipelines);
        ArgumentNullException.ThrowIfNull(options);
        var models = pipelines.ToImmutableDictionary(p => p.Spec.Name, StringComparer.Ordinal);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.Logging.ClearProviders();
        if (options.JsonLogs)
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }

        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", options.LogLevel);
        builder.Services.AddRateLimiter(r =>
        {
            r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.Request.Path.StartsWithSegments("/v1/chat/completions", StringComparison.Ordinal)
                    ? RateLimitPartition.GetConcurrencyLimiter("chat", _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = options.MaxConcurrentRequests,
                        QueueLimit = options.QueueLimit,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    })
                    : RateLimitPartition.GetNoLimiter("other"));
            r.OnRejected = (rejected, ct) =>
            {
                var logger = rejected.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Compose.Serving");
                ServerLog.Rejected(logger, 429, rejected.HttpContext.Request.Path, "concurrency limit and queue full");
                return new ValueTask(new OpenAIError(429, $"too many requests: {options.MaxConcurrentRequests} running and {options.QueueLimit} queued; retry later", "rate_limit_exceeded", null, "rate_limit_exceeded")
                    .WriteAsync(rejected.HttpContext.Response, ct));
            };
        });

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Compose.Serving");
        if (options.ApiKey is { } key)
        {
            var check = new ApiKeyCheck(key);
            app.Use(async (context, next) =>
            {
                if (!check.Accepts(context.Request.Headers.Authorization))
                {
                    ServerLog.Rejected(log, 401, context.Request.Path, "missing or wrong API key");
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await new OpenAIError(401, "missing or incorrect API key: send 'Authorization: Bearer KEY'", "invalid_request_error", null, "invalid_api_key")
                        .WriteAsync(context.Response, context.RequestAborted).ConfigureAwait(false);
                    return;
                }

                await next(context).ConfigureAwait(false);
            });
        }

        app.UseRateLimiter();
        app.MapGet("/v1/models", (HttpContext context) => WriteJson(context, ModelList(models.Keys, created)));
        app.MapGet("/v1/models/{id}", (string id, HttpContext context) => models.ContainsKey(id) ? WriteJson(context, Model(id, created)) : NotFound(id, context));
        app.MapPost("/v1/chat/completions", (HttpContext context) => ChatCompletions(context, models, log));
        app.MapFallback((HttpContext context) =>
            new OpenAIError(404, $"unknown endpoint {context.Request.Method} {context.Request.Path}; this server offers GET /v1/models and POST /v1/chat/completions", "invalid_request_error", null, "unknown_url")
                .WriteAsync(context.Response, context.RequestAborted));
        app.Lifetime.ApplicationStarted.Register(() =>
            ServerLog.Started(log, string.Join(",", models.Keys.Order(StringComparer.Ordinal)), string.Join(";", app.Urls), options.ApiKey is not null, options.MaxConcurrentRequests));
        return app;
    }

    private static Task WriteJson(HttpContext context, JsonObject body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(OpenAIError.Json), context.RequestAborted);
    }

    private static Task NotFound(string model, HttpContext context) =>
        new OpenAIError(404, $"the model '{model}' does not exist; GET /v1/models lists the served pipelines", "invalid_request_error", "model", "model_not_found")
            .WriteAsync(context.Response, context.RequestAborted);

    private static JsonObject Model(string id, long created) => new()
    {
        ["id"] = id,
        ["object"] = "model",
        ["created"] = created,
        ["owned_by"] = "compose",
    };

    private static JsonObject ModelList(IEnumerable<string> ids, long created) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray([.. ids.Order(StringComparer.Ordinal).Select(id => (JsonNode)Model(id, created))]),
    };

    private static async Task ChatCompletions(HttpContext context, ImmutableDictionary<string, CompiledPipeline> models, ILogger log)
    {
        var ct = context.RequestAborted;
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            await OpenAIError.BadRequest($"the request body is not valid JSON: {ex.Message}").WriteAsync(context.Response, ct).ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ServerLog.Rejected(log, 413, context.Request.Path, "request body too large");
            await new OpenAIError(413, ex.Message, "invalid_request_error", null, "request_too_large").WriteAsync(context.Response, ct).ConfigureAwait(false);
            return;
        }

        using (document)
        {
            var (request, error) = ChatCompletionRequest.Read(document.RootElement);
            if (error is not null)
            {
                await error.WriteAsync(context.Response, ct).ConfigureAwait(false);
                return;
            }

            if (!models.TryGetValue(request!.Model, out var pipeline))
            {
                await NotFound(request.Model, context).ConfigureAwait(false);
                return;
            }

            var options = new ChatOptions { Seed = request.Seed };
            if (request.MaxCalls is { } calls)
            {
                options.AdditionalProperties = new() { ["compose.max_calls"] = calls };
            }

            var writer = new CompletionWriter(context.Response, request.Model);
            var started = Stopwatch.GetTimestamp();
            try
            {
                var usage = request.Stream
                    ? await writer.StreamAsync(pipeline.GetStreamingResponseAsync(request.Messages, options, ct), ct).ConfigureAwait(false)
                    : await writer.WriteAsync(await pipeline.GetResponseAsync(request.Messages, options, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                ServerLog.Completed(log, request.Model, request.Stream, 200, usage.Calls, usage.InputTokens, usage.OutputTokens, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (PipelineRunException ex)
            {
                ServerLog.Failed(log, request.Model, SecretRedactor.Redact(ex.Result.Error ?? ex.Message));
                var failure = new OpenAIError(500, ex.Message, "server_error", null, "pipeline_failed");
                if (context.Response.HasStarted)
                {
                    await writer.WriteErrorEventAsync(failure, ct).ConfigureAwait(false);
                }
                else
                {
                    await failure.WriteAsync(context.Response, ct).ConfigureAwait(false);
                }
            }
        }
    }
}
