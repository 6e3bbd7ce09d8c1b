using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Compose.Models;

namespace Compose.Runtime;

/// <summary>
/// Writes events as JSON lines. Lines are written whole under a lock and flushed, so a killed run
/// leaves a readable trace. Secret values registered with <see cref="Redact"/> never reach the file.
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

    private readonly object _gate = new();
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;

    public JsonlTraceSink(TextWriter writer, bool ownsWriter = false)
    {
        _writer = writer;
        _ownsWriter = ownsWriter;
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
        var line = Redact(JsonSerializer.Serialize(traceEvent, JsonOptions));
        lock (_gate)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        if (_ownsWriter)
        {
            _writer.Dispose();
        }
    }
}
