using System.ClientModel;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Compose.Models.Middleware;

/// <summary>
/// Sits directly on a provider's client and takes registered secrets (<see cref="SecretRedactor"/>) out of the
/// exceptions it throws (a server may echo the key in an error body), so that no middleware above it (logging,
/// telemetry, retries) can log or tag one. Keeps the exception type, HTTP status and headers, so retry decisions
/// are unchanged.
/// </summary>
public sealed class SecretScrubbingChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Scrub(ex) is { } clean)
        {
            throw clean;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (updates.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (Exception ex) when (Scrub(ex) is { } clean)
                {
                    throw clean;
                }

                yield return updates.Current;
            }
        }
    }

    /// <summary>A secret-free replacement for <paramref name="exception"/>, or null when it carries no secret.</summary>
    internal static Exception? Scrub(Exception exception)
    {
        if (!SecretRedactor.ContainsSecret(exception.ToString()))
        {
            return null;
        }

        var message = SecretRedactor.Redact(exception.Message);
        return exception switch
        {
            UpstreamReplyException e => new UpstreamReplyException(
                e.Endpoint, e.Problem, e.Advice, e.UpstreamMessage, e.Status, SecretRedactor.ContainsSecret(e.InnerException?.ToString()) ? null : e.InnerException),
            ClientResultException e => new ClientResultException(message, e.GetRawResponse()),
            HttpRequestException e => new HttpRequestException(e.HttpRequestError, message, null, e.StatusCode),
            OperationCanceledException e => new OperationCanceledException(message, e.CancellationToken),
            TimeoutException => new TimeoutException(message),
            IOException => new IOException(message),
            _ => new InvalidOperationException(message),
        };
    }
}
