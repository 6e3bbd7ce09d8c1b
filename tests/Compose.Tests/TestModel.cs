using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Compose.Tests;

/// <summary>A model answering by a function of (prompt, options); records every prompt it saw.</summary>
internal sealed class TestModel(Func<string, ChatOptions?, string> answer, TimeSpan? latency = null) : IChatClient
{
    private int _inFlight;
    private int _maxInFlight;

    public ConcurrentQueue<(string Prompt, ChatOptions? Options)> Calls { get; } = new();

    public int MaxInFlight => _maxInFlight;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = _maxInFlight) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        try
        {
            if (latency is { } l)
            {
                await Task.Delay(l, cancellationToken);
            }

            var prompt = messages.Last(m => m.Role == ChatRole.User).Text;
            Calls.Enqueue((prompt, options));
            var text = answer(prompt, options);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
            {
                Usage = new UsageDetails { InputTokenCount = prompt.Length / 4, OutputTokenCount = Math.Max(1, text.Length / 4) },
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var r = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var u in r.ToChatResponseUpdates())
        {
            yield return u;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
