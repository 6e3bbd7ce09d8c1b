using Compose.Runtime;

namespace Compose.Cli;

/// <summary>Forwards trace events and keeps a one-line progress summary (layer, calls, tokens) for the terminal.</summary>
internal sealed class ProgressTraceSink(ITraceSink inner, int layers) : ITraceSink
{
    private int _layersDone;
    private int _calls;
    private long _tokens;

    public string Status =>
        $"layer {Math.Min(Volatile.Read(ref _layersDone) + 1, layers)}/{layers} · {Volatile.Read(ref _calls)} calls · {Interlocked.Read(ref _tokens):N0} tokens";

    public void Write(TraceEvent traceEvent)
    {
        switch (traceEvent)
        {
            case ModelCalled call:
                Interlocked.Increment(ref _calls);
                Interlocked.Add(ref _tokens, call.InputTokens + call.OutputTokens);
                break;
            case LayerFinished:
                Interlocked.Increment(ref _layersDone);
                break;
        }

        inner.Write(traceEvent);
    }

    public void Flush() => inner.Flush();
}
