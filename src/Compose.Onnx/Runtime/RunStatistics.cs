using System.Diagnostics;

namespace Compose.Onnx.Runtime;

/// <summary>Counters of a loaded model, updated by the generation thread; read them for benchmarks and logs.</summary>
public sealed class RunStatistics
{
    private long _sessionTicks;
    private long _sessionRuns;
    private long _generatedTokens;
    private long _batches;
    private long _prefills;
    private long _batchTicks;
    private long _promptTokensPrefilled;
    private long _promptTokensReused;
    private long _prefixHits;
    private long _prefixMisses;
    private long _prefixEvictions;
    private long _prefixBytes;
    private long _prefixEntries;

    public TimeSpan SessionRunTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sessionTicks));
    public long SessionRuns => Interlocked.Read(ref _sessionRuns);
    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);
    /// <summary>
    /// Prefills: one per batch started, plus one per group of requests that joined a running batch (with the prefix
    /// cache, one prefill may take a few session runs: prompts with and without a cached prefix run apart).
    /// </summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Wall time the generation thread spent running batches (session runs included).</summary>
    public TimeSpan BatchTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _batchTicks));

    /// <summary>Prompt prefills run (a prompt shared by several sequences in one batch counts once).</summary>
    public long Prefills => Interlocked.Read(ref _prefills);

    /// <summary>
    /// Prompt tokens run through the model to prefill (padding not counted; a prompt shared by several sequences in a
    /// batch counts once; tokens whose keys and values came from the prefix cache are not run and not counted).
    /// </summary>
    public long PromptTokensPrefilled => Interlocked.Read(ref _promptTokensPrefilled);

    /// <summary>Prompt tokens whose keys and values were taken from the prefix cache instead of being run.</summary>
    public long PromptTokensReused => Interlocked.Read(ref _promptTokensReused);

    /// <summary>Prompts (distinct ones in a batch) that found a cached prefix of at least one token.</summary>
    public long PrefixCacheHits => Interlocked.Read(ref _prefixHits);

    /// <summary>Prompts (distinct ones in a batch) that found none, with the prefix cache on.</summary>
    public long PrefixCacheMisses => Interlocked.Read(ref _prefixMisses);

    /// <summary>Entries the prefix cache evicted to stay within its byte limit.</summary>
    public long PrefixCacheEvictions => Interlocked.Read(ref _prefixEvictions);

    /// <summary>Bytes the prefix cache holds now (a gauge: <see cref="Reset"/> leaves it).</summary>
    public long PrefixCacheBytes => Interlocked.Read(ref _prefixBytes);

    /// <summary>Entries the prefix cache holds now (a gauge: <see cref="Reset"/> leaves it).</summary>
    public long PrefixCacheEntries => Interlocked.Read(ref _prefixEntries);

    /// <summary>Zeroes the counters; the gauges (what the prefix cache holds now) stay.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _sessionTicks, 0);
        Interlocked.Exchange(ref _sessionRuns, 0);
        Interlocked.Exchange(ref _generatedTokens, 0);
        Interlocked.Exchange(ref _batches, 0);
        Interlocked.Exchange(ref _prefills, 0);
        Interlocked.Exchange(ref _batchTicks, 0);
        Interlocked.Exchange(ref _promptTokensPrefilled, 0);
        Interlocked.Exchange(ref _promptTokensReused, 0);
        Interlocked.Exchange(ref _prefixHits, 0);
        Interlocked.Exchange(ref _prefixMisses, 0);
        Interlocked.Exchange(ref _prefixEvictions, 0);
    }

    internal void AddRun(long ticks)
    {
        Interlocked.Add(ref _sessionTicks, ticks);
        Interlocked.Increment(ref _sessionRuns);
    }

    internal void AddBatchTime(long ticks) => Interlocked.Add(ref _batchTicks, ticks);

    internal void AddTokens(int n) => Interlocked.Add(ref _generatedTokens, n);

    internal void AddBatch(int prefills)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _prefills, prefills);
    }

    internal void AddPrefill(long prefilled, long reused)
    {
        Interlocked.Add(ref _promptTokensPrefilled, prefilled);
        Interlocked.Add(ref _promptTokensReused, reused);
    }

    internal void AddPrefixLookup(bool hit) => Interlocked.Increment(ref hit ? ref _prefixHits : ref _prefixMisses);

    internal void AddPrefixEviction() => Interlocked.Increment(ref _prefixEvictions);

    internal void SetPrefixCache(long bytes, long entries)
    {
        Interlocked.Exchange(ref _prefixBytes, bytes);
        Interlocked.Exchange(ref _prefixEntries, entries);
    }
}
