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

    public TimeSpan SessionRunTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sessionTicks));
    public long SessionRuns => Interlocked.Read(ref _sessionRuns);
    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);
    /// <summary>Prefill runs: one per batch started, plus one per group of requests that joined a running batch.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Wall time the generation thread spent running batches (session runs included).</summary>
    public TimeSpan BatchTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _batchTicks));

    /// <summary>Prompt prefills run (a prompt shared by several sequences in one batch counts once).</summary>
    public long Prefills => Interlocked.Read(ref _prefills);

    public void Reset()
    {
        Interlocked.Exchange(ref _sessionTicks, 0);
        Interlocked.Exchange(ref _sessionRuns, 0);
        Interlocked.Exchange(ref _generatedTokens, 0);
        Interlocked.Exchange(ref _batches, 0);
        Interlocked.Exchange(ref _prefills, 0);
        Interlocked.Exchange(ref _batchTicks, 0);
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
}
