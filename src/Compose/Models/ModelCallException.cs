namespace Compose.Models;

/// <summary>
/// A model call failed for good: a status the server will not change its mind about (400, 401, 404, ...),
/// or a transient failure (429, 5xx, timeout, network) that persisted through every retry.
/// The message says what happened and what to do, and never carries a secret.
/// </summary>
public sealed class ModelCallException : Exception
{
    public ModelCallException(string modelName, int? status, int attempts, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ModelName = modelName;
        Status = status;
        Attempts = attempts;
    }

    /// <summary>The model's name in the pipeline file (<c>models: { gpt: ... }</c> gives <c>gpt</c>).</summary>
    public string ModelName { get; }

    /// <summary>The HTTP status of the last attempt, or null when there was no response (timeout, network error).</summary>
    public int? Status { get; }

    /// <summary>How many attempts were made, the first included.</summary>
    public int Attempts { get; }
}
