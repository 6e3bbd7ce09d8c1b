namespace Compose.Serving;

/// <summary>How <see cref="ComposeServer"/> listens and what it allows.</summary>
public sealed record ServeOptions
{
    /// <summary>Where to listen, e.g. <c>http://127.0.0.1:8000</c> (several separated by ';').</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8000";

    /// <summary>When set, every request needs <c>Authorization: Bearer KEY</c> with this key (compared in constant time).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body accepted; larger ones get 413 (a larger declared Content-Length at once, unread).</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// How long a client may take to send the whole request body, counted from the end of its headers;
    /// a body not complete by then gets 408. Bodies are read before a concurrency or queue slot is taken,
    /// so slow senders hold a connection, never a slot.
    /// </summary>
    public TimeSpan BodyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a client may take to send its request headers (Kestrel's RequestHeadersTimeout).</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Open connections at once (Kestrel's MaxConcurrentConnections); more are closed on arrival.</summary>
    public long MaxConnections { get; init; } = 1024;

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
