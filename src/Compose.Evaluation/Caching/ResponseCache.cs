using System.Text;
using Compose.Language;
using Compose.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;

namespace Compose.Evaluation.Caching;

/// <summary>
/// A persistent response cache for every model of a pipeline, plugged in through
/// <see cref="PipelineBuildOptions.ConfigureModel"/> with Microsoft.Extensions.AI's
/// <c>UseDistributedCache</c>. The key is the messages and options (which carry the call's seed) plus
/// the model: its name, provider and options, so two models never share answers. Compose's usage and
/// budget middleware sit inside the cache: a hit costs no call and no token. <see cref="Requests"/>
/// counts every call pipelines made, <see cref="Misses"/> those the cache passed on to the model.
/// </summary>
public sealed class ResponseCache(IDistributedCache store)
{
    private static readonly AsyncLocal<RequestCounter?> Scope = new();
    private long _requests;
    private long _misses;

    public IDistributedCache Store { get; } = store;

    public long Requests => Interlocked.Read(ref _requests);

    public long Misses => Interlocked.Read(ref _misses);

    public long Hits => Requests - Misses;

    /// <summary>The share of calls answered from the cache (0 when there were none).</summary>
    public double SavedShare => Requests == 0 ? 0 : (double)Hits / Requests;

    /// <summary>A cache in the SQLite file <paramref name="path"/> (created if absent).</summary>
    public static ResponseCache Open(string path) => new(new SqliteDistributedCache(path));

    /// <summary>
    /// Counts the calls pipelines request (hits included) from here on in the calling async flow and the tasks it
    /// starts: set it at the start of an async method that runs one item, and read it when the item is done. With
    /// several items running at once on one cache, <see cref="Requests"/> cannot tell them apart; this can.
    /// </summary>
    public static RequestCounter CountRequestsHere()
    {
        var counter = new RequestCounter();
        Scope.Value = counter;
        return counter;
    }

    /// <summary>Build options that put this cache in front of every model.</summary>
    public PipelineBuildOptions Apply(PipelineBuildOptions? options = null)
    {
        var previous = (options ?? PipelineBuildOptions.Default).ConfigureModel;
        return (options ?? PipelineBuildOptions.Default) with
        {
            ConfigureModel = (builder, model) =>
            {
                previous?.Invoke(builder, model);
                Configure(builder, model);
            },
        };
    }

    /// <summary>Adds the counters and the cache to one model's stack.</summary>
    public void Configure(ChatClientBuilder builder, ModelSpec model)
    {
        builder
            .Use(inner => new CountingChatClient(inner, () =>
            {
                Interlocked.Increment(ref _requests);
                Scope.Value?.Add();
            }))
            .UseDistributedCache(Store, c => c.CacheKeyAdditionalValues = ["compose-model", ModelKey(model)])
            .Use(inner => new CountingChatClient(inner, () => Interlocked.Increment(ref _misses)));
    }

    /// <summary>What identifies a model in cache keys: its name, provider and every option.</summary>
    public static string ModelKey(ModelSpec model)
    {
        var text = new StringBuilder();
        text.Append(model.Name).Append('|').Append(model.Provider).Append('|');
        Write(text, model.Options);
        return text.ToString();
    }

    private static void Write(StringBuilder text, SpecNode node)
    {
        switch (node)
        {
            case SpecScalar s:
                text.Append('"').Append(s.Value.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                break;
            case SpecSequence seq:
                text.Append('[');
                foreach (var item in seq.Items)
                {
                    Write(text, item);
                    text.Append(',');
                }

                text.Append(']');
                break;
            case SpecMapping map:
                text.Append('{');
                foreach (var entry in map.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    text.Append(entry.Key).Append(':');
                    Write(text, entry.Value);
                    text.Append(',');
                }

                text.Append('}');
                break;
        }
    }

    private sealed class CountingChatClient(IChatClient inner, Action count) : DelegatingChatClient(inner)
    {
        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            count();
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            count();
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }
    }
}

/// <summary>Calls requested within one async flow (<see cref="ResponseCache.CountRequestsHere"/>).</summary>
public sealed class RequestCounter
{
    private long _requests;

    public long Requests => Interlocked.Read(ref _requests);

    internal void Add() => Interlocked.Increment(ref _requests);
}
