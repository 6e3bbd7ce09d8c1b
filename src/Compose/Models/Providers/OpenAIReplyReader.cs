using System.Runtime.CompilerServices;
using System.Text.Json;
using Compose.Models.Middleware;
using Microsoft.Extensions.AI;

namespace Compose.Models.Providers;

/// <summary>
/// Sits directly on the OpenAI client: a reply the client cannot read (one <see cref="OpenAIReplyGuard"/> let pass,
/// but the client still stumbles on: an unknown enum value, a wrong type deep inside) becomes an
/// <see cref="UpstreamReplyException"/> instead of a raw .NET exception, implausible usage counts become unknown, and
/// a registered secret (or a piece of one) echoed in the answer's text is masked.
/// Owns the <see cref="HttpClient"/> the OpenAI client sends with.
/// </summary>
internal sealed class OpenAIReplyReader(IChatClient innerClient, string endpoint, HttpClient http) : DelegatingChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } reply)
        {
            throw reply;
        }

        if (response.Usage is { } usage)
        {
            response.Usage = Plausible(usage);
        }

        foreach (var message in response.Messages)
        {
            Scrub(message.Contents);
        }

        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IAsyncEnumerator<ChatResponseUpdate> updates;
        try
        {
            updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception ex) when (Translate(ex) is { } reply)
        {
            throw reply;
        }

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
                catch (Exception ex) when (Translate(ex) is { } reply)
                {
                    throw reply;
                }

                var update = updates.Current;
                Scrub(update.Contents);
                for (var i = 0; i < update.Contents.Count; i++)
                {
                    if (update.Contents[i] is UsageContent usage)
                    {
                        update.Contents[i] = new UsageContent(Plausible(usage.Details));
                    }
                }

                yield return update;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            http.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>A server echoing the key (or a piece of it) in its answer does not pass it on: it is masked.</summary>
    private static void Scrub(IList<AIContent> contents)
    {
        foreach (var text in contents.OfType<TextContent>())
        {
            if (SecretRedactor.ContainsSecret(text.Text))
            {
                text.Text = SecretRedactor.Redact(text.Text);
            }
        }
    }

    /// <summary>Counts outside 0..<see cref="TokenCounts.MaxPerCall"/> become unknown.</summary>
    internal static UsageDetails Plausible(UsageDetails usage) => new()
    {
        InputTokenCount = Check(usage.InputTokenCount),
        OutputTokenCount = Check(usage.OutputTokenCount),
        TotalTokenCount = Check(usage.TotalTokenCount),
        CachedInputTokenCount = Check(usage.CachedInputTokenCount),
        ReasoningTokenCount = Check(usage.ReasoningTokenCount),
        AdditionalCounts = usage.AdditionalCounts,
    };

    private static long? Check(long? count) => count is >= 0 and <= TokenCounts.MaxPerCall ? count : null;

    /// <summary>
    /// The reply failure for <paramref name="exception"/>: the guard's own (unwrapped from whatever the transport put
    /// around it), or a new one for an exception the OpenAI client threw while reading a reply. Null for failures
    /// that are not about the reply (HTTP status, network, timeout, cancellation).
    /// </summary>
    private UpstreamReplyException? Translate(Exception exception)
    {
        if (UpstreamReplyException.Find(exception) is { } reply)
        {
            return reply;
        }

        return exception switch
        {
            JsonException or FormatException or InvalidOperationException or NullReferenceException or IndexOutOfRangeException
                or KeyNotFoundException or OverflowException or ArgumentOutOfRangeException or InvalidCastException => new UpstreamReplyException(
                    endpoint,
                    "sent a reply the OpenAI client could not read as a chat completion",
                    "the server is not fully OpenAI-compatible; check base_url, the server's version and its logs",
                    innerException: exception),
            _ => null,
        };
    }
}
