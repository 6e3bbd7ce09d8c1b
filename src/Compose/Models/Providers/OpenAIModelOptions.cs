using Compose.Language;

namespace Compose.Models.Providers;

/// <summary>
/// The options of an <c>openai</c> model, read and checked from its <see cref="ModelSpec"/>:
/// <c>model</c>, <c>base_url</c>, <c>api_key_env</c>, <c>timeout_seconds</c>, <c>max_retries</c>, <c>organization</c>,
/// <c>max_tokens_field</c>, <c>max_response_bytes</c>, <c>continue_final_message</c>, <c>logprobs</c>.
/// </summary>
public sealed record OpenAIModelOptions
{
    /// <summary>The official endpoint, used when <c>base_url</c> is not given.</summary>
    public static Uri DefaultBaseUrl { get; } = new("https://api.openai.com/v1");

    /// <summary>The variable read for the key when the official endpoint is used and <c>api_key_env</c> is not given.</summary>
    public const string DefaultApiKeyEnv = "OPENAI_API_KEY";

    /// <summary>The model id sent to the server (<c>model:</c>).</summary>
    public required string Model { get; init; }

    public Uri BaseUrl { get; init; } = DefaultBaseUrl;

    /// <summary>The NAME of the environment variable holding the key; null: no key (a local server).</summary>
    public string? ApiKeyEnv { get; init; }

    /// <summary>How long one attempt may take (<c>timeout_seconds</c>, default 100).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries after the first attempt (<c>max_retries</c>, default 3, 0..10).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>
    /// The request field carrying the output token limit (<c>max_tokens_field</c>): <c>max_completion_tokens</c>
    /// (default for api.openai.com) or <c>max_tokens</c> (default elsewhere: every OpenAI-compatible server knows it).
    /// </summary>
    public string MaxTokensField { get; init; } = MaxCompletionTokens;

    public const string MaxCompletionTokens = "max_completion_tokens";

    public const string MaxTokens = "max_tokens";

    /// <summary>
    /// The default bound on one response body, streamed or not: 32 MiB. A non-streamed reply of 128k tokens is about
    /// 0.5 to 3 MB of JSON; a streamed one carries some 200 bytes of chunk JSON per token, so 32 MiB holds about
    /// 150k streamed tokens.
    /// </summary>
    public const long DefaultMaxResponseBytes = 32L * 1024 * 1024;

    /// <summary>The smallest <c>max_response_bytes</c> accepted (1 KiB).</summary>
    public const long MinMaxResponseBytes = 1024;

    /// <summary>The largest <c>max_response_bytes</c> accepted (1 GiB).</summary>
    public const long MaxMaxResponseBytes = 1024L * 1024 * 1024;

    /// <summary>The most bytes one response body may have (<c>max_response_bytes</c>); more ends the call with an error.</summary>
    public long MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    /// <summary>
    /// The server continues a final assistant message when asked (<c>continue_final_message: true</c>): a continuation
    /// request (<see cref="ChatContinuation"/>) is sent with vLLM's and SGLang's <c>continue_final_message: true,
    /// add_generation_prompt: false</c>. Off by default: the official API has no such extension.
    /// </summary>
    public bool ContinueFinalMessage { get; init; }

    /// <summary>
    /// The server reports token log-probabilities when asked (<c>logprobs: true</c>): the model declares
    /// <see cref="ModelCapabilities.LogProbabilities"/>, so confidence-aware techniques may use it.
    /// </summary>
    public bool LogProbs { get; init; }

    /// <summary>The OpenAI organization id (<c>organization</c>), if any.</summary>
    public string? Organization { get; init; }
}
