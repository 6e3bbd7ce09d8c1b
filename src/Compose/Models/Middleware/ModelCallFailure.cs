using System.ClientModel;
using System.Globalization;
using System.Net;
using Polly.Timeout;

namespace Compose.Models.Middleware;

/// <summary>
/// Reads a failed model call: whether it is worth another attempt, its HTTP status, the server's
/// <c>Retry-After</c>, and the message a person can act on. Never copies secrets into messages.
/// </summary>
internal static class ModelCallFailure
{
    /// <summary>True for a failure that belongs to the model call (HTTP, network, timeout), not to a bug or the caller's cancellation.</summary>
    public static bool IsCallFailure(Exception exception, CancellationToken callerToken) => exception switch
    {
        _ when UpstreamReplyException.Find(exception) is not null => true,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        ClientResultException or HttpRequestException or IOException or TimeoutException or TimeoutRejectedException => true,
        _ => false,
    };

    /// <summary>
    /// True when another attempt may succeed: 408, 429, 500, 502, 503, 504, timeouts and network errors.
    /// Never for an unusable reply (<see cref="UpstreamReplyException"/>): the server would likely send it again.
    /// </summary>
    public static bool IsTransient(Exception exception, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested || !IsCallFailure(exception, callerToken) || UpstreamReplyException.Find(exception) is not null)
        {
            return false;
        }

        var status = GetStatus(exception);
        return status is null ? true : IsTransientStatus(status.Value);
    }

    public static bool IsTransientStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>The HTTP status of the failure, or null when no response came (network error, timeout).</summary>
    public static int? GetStatus(Exception exception) => exception switch
    {
        _ when UpstreamReplyException.Find(exception) is { } reply => reply.Status,
        ClientResultException { Status: > 0 } e => e.Status,
        HttpRequestException { StatusCode: { } code } => (int)code,
        _ => null,
    };

    /// <summary>The wait the server asked for (<c>retry-after-ms</c> or <c>Retry-After</c> seconds or date), if any.</summary>
    public static TimeSpan? GetRetryAfter(Exception? exception, TimeProvider time)
    {
        if (exception is not ClientResultException e || e.GetRawResponse() is not { } response)
        {
            return null;
        }

        if (response.Headers.TryGetValue("retry-after-ms", out var ms)
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        if (response.Headers.TryGetValue("Retry-After", out var value) && !string.IsNullOrWhiteSpace(value))
        {
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                var wait = date - time.GetUtcNow();
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        return null;
    }

    /// <summary>A short, secret-free description for logs: <c>HTTP 429 Too Many Requests</c>, <c>timeout</c>, <c>network error: connection refused</c>.</summary>
    public static string Describe(Exception exception)
    {
        if (UpstreamReplyException.Find(exception) is { } reply)
        {
            return $"unusable reply: {reply.Problem}";
        }

        if (GetStatus(exception) is { } status)
        {
            return $"HTTP {status} {ReasonPhrase(status)}".TrimEnd();
        }

        return exception switch
        {
            TimeoutRejectedException or TimeoutException or OperationCanceledException => "timeout",
            ClientResultException { InnerException: { } inner } => $"network error: {NetworkProblem(inner)}",
            _ => $"network error: {NetworkProblem(exception)}",
        };
    }

    /// <summary>What went wrong on the network, in words rather than .NET type names.</summary>
    private static string NetworkProblem(Exception exception) => exception switch
    {
        HttpRequestException e => e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "the host name could not be resolved",
            HttpRequestError.SecureConnectionError => "the TLS connection failed",
            HttpRequestError.ResponseEnded => "the connection closed before the response ended",
            HttpRequestError.InvalidResponse => "the response was not valid HTTP",
            HttpRequestError.ProxyTunnelError => "the proxy failed",
            _ when e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } => "connection refused",
            _ => "the connection failed",
        },
        IOException => "the connection broke",
        _ => "the connection failed",
    };

    /// <summary>The <see cref="ModelCallException"/> for a call that failed for good.</summary>
    /// <param name="model">The model's name in the pipeline.</param>
    /// <param name="exception">The last failure.</param>
    /// <param name="attempts">How many attempts were made.</param>
    /// <param name="options">The retry options (for the timeout in messages).</param>
    /// <param name="midStream">True when a stream broke after its first update.</param>
    /// <param name="endpoint">The server's address as shown (<see cref="UpstreamText.Endpoint"/>), named after the model; null: none.</param>
    public static ModelCallException ToException(
        string model, Exception exception, int attempts, RetryOptions options, bool midStream = false, string? endpoint = null)
    {
        var status = GetStatus(exception);
        var tries = attempts == 1 ? "1 attempt" : $"{attempts} attempts";
        var reply = UpstreamReplyException.Find(exception);
        var modelName = model;
        endpoint ??= reply?.Endpoint;
        model = endpoint is null ? model : $"{model} ({endpoint})";
        string message;
        if (reply is not null)
        {
            message = $"{model}: {reply.Message}";
        }
        else if (midStream)
        {
            message = $"{model}: the response stream broke off ({Describe(exception)}); streams are not retried once text has arrived, try again";
        }
        else if (status is { } code)
        {
            var http = $"HTTP {code} {ReasonPhrase(code)}".TrimEnd();
            message = code switch
            {
                429 => $"{model}: {http} after {tries}{ServerMessage(exception)}; lower concurrency or raise max_retries",
                408 => $"{model}: {http} after {tries}{ServerMessage(exception)}; raise timeout_seconds or use a less loaded server",
                >= 500 when IsTransientStatus(code) => $"{model}: {http} after {tries}{ServerMessage(exception)}; the server is failing, try again later or raise max_retries",
                401 or 403 => $"{model}: {http} (not retried){ServerMessage(exception)}; check that the environment variable named by api_key_env holds a valid key for this server",
                404 => $"{model}: {http} (not retried){ServerMessage(exception)}; check base_url (it usually ends in /v1) and the model name",
                >= 300 and < 400 => $"{model}: {http} (not retried); the server redirects elsewhere (for example from http to https): write the final address as base_url",
                _ when code >= 500 => $"{model}: {http} (not retried){ServerMessage(exception)}; the server failed on this request, check its logs",
                _ => $"{model}: {http} (not retried){ServerMessage(exception)}; check the model options (temperature, max_tokens, stop, ...) this server accepts",
            };
        }
        else if (exception is TimeoutRejectedException or TimeoutException or OperationCanceledException)
        {
            message = $"{model}: no response within {FormatSeconds(options.Timeout)} after {tries}; raise timeout_seconds or use a faster or less loaded server";
        }
        else
        {
            message = $"{model}: could not reach the server ({Describe(exception)}) after {tries}; check base_url and that the server is running";
        }

        message = SecretRedactor.Redact(message);

        // Keep the original for debugging unless something in it (a response body echoing the key) is secret.
        var inner = SecretRedactor.ContainsSecret(exception.ToString()) ? null : exception;
        return new ModelCallException(modelName, status, attempts, message, inner);
    }

    public static string ReasonPhrase(int status)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        return response.ReasonPhrase ?? "";
    }

    private static string FormatSeconds(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? "the time allowed" : $"{timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    /// <summary>The server's own error message (<c>{"error":{"message":...}}</c>, or a short text body), redacted and shortened, as <c>: text</c>.</summary>
    private static string ServerMessage(Exception exception)
    {
        if (exception is not ClientResultException e || e.GetRawResponse() is not { } response)
        {
            return "";
        }

        try
        {
            response.Headers.TryGetValue("Content-Type", out var mediaType);
            return UpstreamText.ErrorMessage(response.Content.ToMemory().Span, mediaType) is { } text ? $": {text}" : "";
        }
        catch (InvalidOperationException)
        {
            // The body was not buffered.
            return "";
        }
    }
}
