using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Compose.Models.Middleware;

/// <summary>Allows at most <c>limit</c> calls to one model in flight; the rest wait their turn (FIFO by the semaphore).</summary>
public sealed class ConcurrencyLimitingChatClient : DelegatingChatClient
{
    private readonly SemaphoreSlim _slots;
    private readonly bool _ownsSlots = true;

    public ConcurrencyLimitingChatClient(IChatClient inner, int limit)
        : base(inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _slots = new SemaphoreSlim(limit, limit);
    }

    /// <summary>A limit shared with other clients: all of them together hold at most the semaphore's count of calls (a host's capacity for one model).</summary>
    public ConcurrencyLimitingChatClient(IChatClient inner, SemaphoreSlim sharedSlots)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(sharedSlots);
        _slots = sharedSlots;
        _ownsSlots = false;
    }

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsSlots)
        {
            _slots.Dispose();
        }

        base.Dispose(disposing);
    }
}
