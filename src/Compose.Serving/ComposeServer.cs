using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Compose.Models;
using Compose.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Compose.Serving;

/// <summary>
/// An OpenAI-compatible server over compiled pipelines (one model per pipeline, by pipeline name):
/// <c>GET /v1/models</c>, <c>POST /v1/chat/completions</c> (JSON, or server-sent events with
/// <c>"stream": true</c>), usage in every response. Optional bearer-key auth; the body is read whole, with a
/// size limit (413) and a deadline (408), before a concurrency slot is taken (so slow senders cannot starve
/// others); a concurrency limit with a bounded queue (429 beyond it); requests validated as OpenAI does (400
/// naming the field); Kestrel limits on connections, header time and data rates; structured console logs; a
/// graceful stop on SIGINT/SIGTERM (in-flight requests finish, up to <see cref="ServeOptions.ShutdownTimeout"/>).
/// Every error has OpenAI's shape and no stack trace. Pipelines are shared by concurrent requests; each run keeps its state to itself.
/// </summary>
public static partial class ComposeServer
{
    /// <summary>Builds the server (not started). The caller owns the pipelines.</summary>
    public static WebApplication Build(IReadOnlyList<RunnablePipeline> pipelines, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(pipelines);
        ArgumentNullException.ThrowIfNull(options);
        var models = pipelines.ToImmutableDictionary(p => p.Spec.Name, StringComparer.Ordinal);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Limits.MaxConcurrentConnections = options.MaxConnections;
            k.Limits.RequestHeadersTimeout = options.HeadersTimeout;
            k.Limits.KeepAliveTimeout = KeepAliveTimeout;
            k.Limits.MaxRequestHeadersTotalSize = MaxHeaderBytes;
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            k.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        });
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

        // A failure to start (bad address, port in use) is reported by the caller in one line, not logged with a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Services.AddRateLimiter(r =>
        {
            r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsChat(context.Request.Path)
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
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                // A bug, not the client's doing: logged in full, answered without internals.
                ServerLog.Crashed(log, context.Request.Path, ex);
                if (!context.Response.HasStarted)
                {
                    context.Response.Clear();
                    await InternalError.WriteAsync(context.Response, context.RequestAborted).ConfigureAwait(false);
                }
            }
        });

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

        // Body first, slot second: the whole body is read (size- and time-limited) before the rate limiter
        // hands out a concurrency or queue slot, so clients that send slowly cannot starve the others.
        app.Use(async (context, next) =>
        {
            if (IsChat(context.Request.Path))
            {
                if (!HttpMethods.IsPost(context.Request.Method))
                {
                    context.Response.Headers.Allow = "POST";
                    await new OpenAIError(405, $"{context.Request.Method} is not allowed on /v1/chat/completions; use POST", "invalid_request_error", null, "method_not_allowed")
                        .WriteAsync(context.Response, context.RequestAborted).ConfigureAwait(false);
                    return;
                }

                if (!await RequestBody.ReadAsync(context, options, log).ConfigureAwait(false))
                {
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
        });
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

    /// <summary>
    /// Checks a <c>--urls</c> value before anything starts: each ';'-separated entry is an address Kestrel can
    /// listen on (<c>http://HOST:PORT</c>; <c>*</c> or <c>+</c> for every interface). Null when fine, else a one-line reason with the fix.
    /// </summary>
    public static string? CheckUrls(string? urls)
    {
        var entries = (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0)
        {
            return "--urls is empty; give an address to listen on, e.g. --urls http://127.0.0.1:8000";
        }

        foreach (var entry in entries)
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(entry);
            }
            catch (FormatException)
            {
                return $"--urls '{entry}' is not a listen address; use http://HOST:PORT, e.g. --urls http://127.0.0.1:8000";
            }

            if (address.Scheme is not ("http" or "https") || address.Host.Length == 0)
            {
                return $"--urls '{entry}' is not a listen address; use http://HOST:PORT, e.g. --urls http://127.0.0.1:8000";
            }

            if (!address.IsUnixPipe && address.Port is < 0 or > 65535)
            {
                return $"--urls '{entry}': the port must be 0-65535, e.g. --urls http://127.0.0.1:8000";
            }
        }

        return null;
    }

    /// <summary>
    /// The chat completions path as routing matches it (any letter case, a trailing slash): the body limits
    /// and the concurrency limit apply to every spelling that reaches the endpoint.
    /// </summary>
    private static bool IsChat(PathString path) => path.StartsWithSegments("/v1/chat/completions", StringComparison.OrdinalIgnoreCase);

    /// <summary>Kestrel's keep-alive: how long an idle connection stays open between requests.</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Kestrel's limit on the request line and headers together (its default).</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>The 500 body of a failure that is the server's own (logged with its detail).</summary>
    internal static OpenAIError InternalError { get; } =
        new(500, "internal error: the server failed on this request (the details are in its log); try again, and report it if it persists", "server_error", null, "internal_error");

    private static Task WriteJson(HttpContext context, JsonObject body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(OpenAIError.Json), context.RequestAborted);
    }

    private static Task NotFound(string model, HttpContext context) =>
        new OpenAIError(404, $"the model '{(model.Length <= 100 ? model : model[..100] + "...")}' does not exist; GET /v1/models lists the served pipelines", "invalid_request_error", "model", "model_not_found")
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

    private static async Task ChatCompletions(HttpContext context, ImmutableDictionary<string, RunnablePipeline> models, ILogger log)
    {
        var ct = context.RequestAborted;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(RequestBody.Of(context), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            var why = ex.Message.Contains("maximum configured depth", StringComparison.Ordinal) ? ": it is nested more than 64 levels deep" : "";
            await OpenAIError.BadRequest($"the request body is not valid JSON{where}{why}; send a JSON object such as {{\"model\": \"NAME\", \"messages\": [{{\"role\": \"user\", \"content\": \"...\"}}]}}", null, "invalid_json")
                .WriteAsync(context.Response, ct).ConfigureAwait(false);
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
                options.AdditionalProperties = new() { [ComposeKeys.MaxCalls] = calls };
            }

            var writer = new CompletionWriter(context.Response, request.Model);
            var started = Stopwatch.GetTimestamp();
            OpenAIError failure;
            try
            {
                var usage = request.Stream
                    ? await writer.StreamAsync(pipeline.GetStreamingResponseAsync(request.Messages, options, ct), ct).ConfigureAwait(false)
                    : await writer.WriteAsync(await pipeline.GetResponseAsync(request.Messages, options, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                ServerLog.Completed(log, request.Model, request.Stream, 200, usage.Calls, usage.InputTokens, usage.OutputTokens, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
            catch (PipelineRunException ex)
            {
                // A model call (or the pipeline's own logic) failed: the failure's message, cleaned of internals and secrets.
                var reason = PublicMessage(ex.Result.Error);
                ServerLog.Failed(log, request.Model, SecretRedactor.Redact(ex.Result.Error ?? ex.Message));
                failure = new OpenAIError(500, $"pipeline '{request.Model}' produced no answer: {reason}", "server_error", null, "pipeline_failed");
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                ServerLog.Crashed(log, context.Request.Path, ex);
                failure = InternalError;
            }

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

    /// <summary>
    /// A failure message fit for a client: its first line only (no stack trace), .NET type names replaced,
    /// registered secrets masked, at most 500 characters.
    /// </summary>
    internal static string PublicMessage(string? error)
    {
        if (string.IsNullOrWhiteSpace(error))
        {
            return "the run failed";
        }

        var text = error.Split('\n', '\r')[0].Trim();
        text = TypeNames().Replace(text, "error");
        text = Namespaces().Replace(text, "(internal)");
        text = SecretRedactor.Redact(text);
        return text.Length <= 500 ? text : text[..500] + "...";
    }

    [GeneratedRegex(@"(?:\b[A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_][A-Za-z0-9_]*Exception\b")]
    private static partial Regex TypeNames();

    [GeneratedRegex(@"\b(?:System|Microsoft|Polly|OpenAI)(?:\.[A-Za-z_][A-Za-z0-9_`]*)+")]
    private static partial Regex Namespaces();
}
