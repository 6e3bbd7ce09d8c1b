using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Compose.Serving;

/// <summary>
/// Reads a chat completion's whole body before the request takes a concurrency or queue slot, so a slow
/// sender holds only its own connection: a declared <c>Content-Length</c> over the limit is 413 at once
/// (nothing read), a body that grows past it is 413, a body not complete within
/// <see cref="ServeOptions.BodyTimeout"/> of the headers is 408, and a body cut short is 400.
/// These answers close the connection.
/// </summary>
internal static class RequestBody
{
    private static readonly object s_key = new();

    /// <summary>The body read by <see cref="ReadAsync"/>.</summary>
    public static ReadOnlyMemory<byte> Of(HttpContext context) =>
        context.Items.TryGetValue(s_key, out var body) && body is ReadOnlyMemory<byte> bytes ? bytes : ReadOnlyMemory<byte>.Empty;

    /// <summary>Reads the body into the request's items; false when it answered the request instead (or the client left).</summary>
    public static async Task<bool> ReadAsync(HttpContext context, ServeOptions options, ILogger log)
    {
        var request = context.Request;
        var limit = options.MaxRequestBodyBytes;
        if (request.ContentLength is { } declared && declared > limit)
        {
            await RejectAsync(context, log, TooLarge(limit, declared), "declared body too large").ConfigureAwait(false);
            return false;
        }

        var body = new ArrayBufferWriter<byte>((int)Math.Clamp(request.ContentLength ?? 0, 256, 64 * 1024));
        var reader = request.BodyReader;

        // The deadline interrupts a pending read without breaking the reader, so Kestrel can still finish the exchange cleanly.
        using var deadline = new CancellationTokenSource(options.BodyTimeout);
        using var interrupt = deadline.Token.Register(reader.CancelPendingRead);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (body.WrittenCount + buffer.Length > limit)
                {
                    reader.AdvanceTo(buffer.End);
                    await RejectAsync(context, log, TooLarge(limit, null), "body too large").ConfigureAwait(false);
                    return false;
                }

                foreach (var segment in buffer)
                {
                    body.Write(segment.Span);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }

                if (result.IsCanceled || deadline.IsCancellationRequested)
                {
                    await RejectAsync(context, log, TimedOut(options.BodyTimeout), "body not complete in time").ConfigureAwait(false);
                    return false;
                }
            }
        }
        catch (BadHttpRequestException ex)
        {
            var error = ex.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => TooLarge(limit, null),
                StatusCodes.Status408RequestTimeout => TimedOut(options.BodyTimeout),
                _ => new OpenAIError(400, "the request body is incomplete or malformed (it ended before its declared Content-Length, or its chunked encoding is broken)", "invalid_request_error", null, "invalid_body"),
            };
            await RejectAsync(context, log, error, "bad body").ConfigureAwait(false);
            return false;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away mid-body: nobody to answer.
            context.Abort();
            return false;
        }

        context.Items[s_key] = (ReadOnlyMemory<byte>)body.WrittenMemory;
        return true;
    }

    private static OpenAIError TooLarge(long limit, long? declared) =>
        new(413, declared is { } n
            ? $"request body too large: it declares {n} bytes and the limit is {limit} (compose serve --max-request-bytes)"
            : $"request body too large: more than the limit of {limit} bytes (compose serve --max-request-bytes)",
            "invalid_request_error", null, "request_too_large");

    private static OpenAIError TimedOut(TimeSpan timeout) =>
        new(408, $"request body not received in time: the whole body must arrive within {timeout.TotalSeconds:0.###} s of the headers (compose serve --body-timeout-seconds)", "invalid_request_error", null, "request_timeout");

    private static async Task RejectAsync(HttpContext context, ILogger log, OpenAIError error, string reason)
    {
        ServerLog.Rejected(log, error.Status, context.Request.Path, reason);
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        // The rest of the body is not read: close the connection after answering instead of draining it.
        context.Response.Headers.Connection = "close";
        try
        {
            using var write = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await error.WriteAsync(context.Response, write.Token).ConfigureAwait(false);
            await context.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            context.Abort();
        }
    }
}
