namespace Compose.Serving;

/// <summary>How <see cref="ComposeServer"/> listens and what it allows.</summary>
public sealed record ServeOptions
{
    /// <summary>Where to listen, e.g. <c>http://127.0.0.1:8000</c> (several separated by ';').</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8000";

    /// <summary>When set, every request needs <c>Authorization: Bearer KEY</c> with this key (compared in constant time).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Chat completions running at once; more wait in the queue.</summary>
    public int MaxConcurrentRequests { get; init; } = 64;

    /// <summary>Requests waiting for a slot; beyond it requests get 429.</summary>
    public int QueueLimit { get; init; } = 512;

    /// <summary>Console log lines as JSON objects (one per line) instead of text.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Least severe log level written.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    /// <summary>How long in-flight requests may take to finish after a shutdown signal.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
