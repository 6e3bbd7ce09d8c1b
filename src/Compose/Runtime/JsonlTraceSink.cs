using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Compose.Models;

namespace Compose.Runtime;

/// <summary>
/// Writes events as JSON lines from a background writer: a model call only queues its event; serialising, redacting
/// and writing happen on one writer task, which flushes whenever the queue runs empty, so a killed run leaves a
/// readable trace of whole lines up to its last quiet moment. When the queue is full (a disk slower than the run)
/// the caller writes the line itself, so memory stays bounded. <see cref="Dispose"/> writes every queued event.
/// Secret values registered with <see cref="Redact"/> never reach the file.
/// </summary>
public sealed class JsonlTraceSink : ITraceSink, IDisposable
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Events queued at most before a caller writes its own line.</summary>
    public const int QueueCapacity = 8192;

    private readonly object _gate = new();
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly Channel<TraceEvent> _queue = Channel.CreateBounded<TraceEvent>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Task _pump;
    private long _queued;
    private long _written;
    private int _disposed;

    public JsonlTraceSink(TextWriter writer, bool ownsWriter = false)
    {
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _ownsWriter = ownsWriter;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Replaces known secrets in each line (e.g. API keys); by default <see cref="SecretRedactor.Redact(string)"/>.</summary>
    public Func<string, string> Redact { get; init; } = SecretRedactor.Redact;

    public static JsonlTraceSink Create(string path, Func<string, string>? redact = null)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        return new JsonlTraceSink(new StreamWriter(stream) { AutoFlush = false }, ownsWriter: true) { Redact = redact ?? SecretRedactor.Redact };
    }

    public void Write(TraceEvent traceEvent)
    {
        ArgumentNullException.ThrowIfNull(traceEvent);
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(traceEvent))
        {
            WriteLines([traceEvent], flush: true); // queue full or sink disposed: write it here
        }
    }

    /// <summary>Writes every event queued so far (waiting for the writer where it holds some) and flushes the file.</summary>
    public void Flush()
    {
        var target = Interlocked.Read(ref _queued);
        var drained = new List<TraceEvent>();
        while (_queue.Reader.TryRead(out var queued))
        {
            drained.Add(queued);
        }

        WriteLines(drained, flush: true);
        var spin = default(SpinWait);
        while (Interlocked.Read(ref _written) < target && !_pump.IsCompleted)
        {
            spin.SpinOnce();
        }

        lock (_gate)
        {
            if (!(_ownsWriter && Volatile.Read(ref _disposed) != 0))
            {
                _writer.Flush();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _pump.GetAwaiter().GetResult();
        lock (_gate)
        {
            _writer.Flush();
            if (_ownsWriter)
            {
                _writer.Dispose();
            }
        }
    }

    private async Task PumpAsync()
    {
        var batch = new List<TraceEvent>(64);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < 256 && reader.TryRead(out var traceEvent))
            {
                batch.Add(traceEvent);
            }

            WriteLines(batch, flush: reader.Count == 0);
            batch.Clear();
        }
    }

    /// <summary>
    /// An event as one JSON line. A type the trace does not know (a host's own event) is written with
    /// <c>"event":"other"</c> and its type's name rather than stopping the writer.
    /// </summary>
    internal static string Serialize(TraceEvent traceEvent)
    {
        try
        {
            return JsonSerializer.Serialize(traceEvent, JsonOptions);
        }
        catch (NotSupportedException)
        {
            var fields = JsonSerializer.Serialize(traceEvent, traceEvent.GetType(), JsonOptions);
            var type = JsonSerializer.Serialize(traceEvent.GetType().Name, JsonOptions);
            return fields.Length > 2 ? $"{{\"event\":\"other\",\"type\":{type},{fields[1..]}" : $"{{\"event\":\"other\",\"type\":{type}}}";
        }
    }

    private void WriteLines(List<TraceEvent> events, bool flush)
    {
        lock (_gate)
        {
            if (_ownsWriter && Volatile.Read(ref _disposed) != 0 && _pump.IsCompleted)
            {
                return; // written after Dispose: the file is closed
            }

            foreach (var traceEvent in events)
            {
                _writer.WriteLine(Redact(Serialize(traceEvent)));
            }

            Interlocked.Add(ref _written, events.Count);

            if (flush)
            {
                _writer.Flush();
            }
        }
    }
}
