namespace Compose.Runtime;

/// <summary>Receives trace events. Implementations must be safe to call from concurrent nodes.</summary>
public interface ITraceSink
{
    void Write(TraceEvent traceEvent);

    /// <summary>
    /// Makes every event written so far visible where the sink writes (a file, a writer). A run calls it when a question
    /// ends, so its trace is complete when <c>RunAsync</c> returns. Nothing to do for a sink that writes at once.
    /// </summary>
    void Flush()
    {
    }
}

/// <summary>A sink that drops everything.</summary>
public sealed class NullTraceSink : ITraceSink
{
    public static NullTraceSink Instance { get; } = new();

    public void Write(TraceEvent traceEvent)
    {
    }
}

/// <summary>Keeps events in memory (tests, the SK integration, the CLI's --json output).</summary>
public sealed class MemoryTraceSink : ITraceSink
{
    private readonly object _gate = new();
    private readonly List<TraceEvent> _events = [];

    public IReadOnlyList<TraceEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public void Write(TraceEvent traceEvent)
    {
        lock (_gate)
        {
            _events.Add(traceEvent);
        }
    }
}
