namespace Compose.Models.Middleware;

/// <summary>
/// The server answered, but its reply cannot be used: too large, not JSON, not a chat completion, an error
/// in a 200 reply, a broken event stream. Thrown at the HTTP boundary of a provider; <see cref="RetryingChatClient"/>
/// turns it into a <see cref="ModelCallException"/> naming the model and endpoint. Never retried: the same server
/// would most likely send the same reply again. The message carries no secret and no .NET type name.
/// </summary>
internal sealed class UpstreamReplyException : Exception
{
    /// <param name="endpoint">The server's address as shown to people (see <see cref="UpstreamText.Endpoint"/>).</param>
    /// <param name="problem">What is wrong with the reply, for example "the reply is not valid JSON".</param>
    /// <param name="advice">What a person can do about it.</param>
    /// <param name="upstreamMessage">The server's own error text, if it sent one (cleaned: see <see cref="UpstreamText.Clean"/>).</param>
    /// <param name="status">The HTTP status of the reply.</param>
    /// <param name="innerException">What the reading failed on, kept for debugging.</param>
    public UpstreamReplyException(
        string endpoint, string problem, string advice, string? upstreamMessage = null, int? status = 200, Exception? innerException = null)
        : base(Format(problem, upstreamMessage, advice), innerException)
    {
        Endpoint = endpoint;
        Problem = problem;
        Advice = advice;
        UpstreamMessage = upstreamMessage;
        Status = status;
    }

    public string Endpoint { get; }

    public string Problem { get; }

    public string Advice { get; }

    public string? UpstreamMessage { get; }

    public int? Status { get; }

    /// <summary>The reply failure in <paramref name="exception"/> or its inner exceptions (a transport may wrap it), or null.</summary>
    public static UpstreamReplyException? Find(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 16; depth++)
        {
            if (exception is UpstreamReplyException reply)
            {
                return reply;
            }

            exception = exception is AggregateException { InnerExceptions.Count: > 0 } aggregate
                ? aggregate.InnerExceptions[0]
                : exception.InnerException;
        }

        return null;
    }

    private static string Format(string problem, string? upstreamMessage, string advice) =>
        SecretRedactor.Redact(string.IsNullOrEmpty(upstreamMessage) ? $"{problem}; {advice}" : $"{problem}: \"{upstreamMessage}\"; {advice}");
}
