using Microsoft.Extensions.Logging;

namespace Compose.Serving;

/// <summary>The server's structured log events.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "chat completion model={Model} stream={Stream} status={Status} calls={Calls} input_tokens={InputTokens} output_tokens={OutputTokens} elapsed_ms={ElapsedMs}")]
    public static partial void Completed(ILogger logger, string model, bool stream, int status, int calls, long inputTokens, long outputTokens, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "chat completion model={Model} failed: {Reason}")]
    public static partial void Failed(ILogger logger, string model, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "request rejected status={Status} path={Path} reason={Reason}")]
    public static partial void Rejected(ILogger logger, int status, string path, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "serving models={Models} urls={Urls} auth={Auth} max_concurrent={MaxConcurrent}")]
    public static partial void Started(ILogger logger, string models, string urls, bool auth, int maxConcurrent);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "request failed inside the server path={Path}")]
    public static partial void Crashed(ILogger logger, string path, Exception exception);
}
