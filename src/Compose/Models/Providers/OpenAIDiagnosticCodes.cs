namespace Compose.Models.Providers;

/// <summary>The diagnostic codes of the <c>openai</c> provider (documented in docs/diagnostics.md).</summary>
public static class OpenAIDiagnosticCodes
{
    /// <summary>Unknown option.</summary>
    public const string UnknownOption = "CMP350";

    /// <summary><c>model</c> missing or empty.</summary>
    public const string MissingModel = "CMP351";

    /// <summary><c>base_url</c> is not an absolute http(s) URL (or carries credentials).</summary>
    public const string InvalidBaseUrl = "CMP352";

    /// <summary>A secret written into the pipeline file (<c>api_key</c>, or a key where a variable name belongs).</summary>
    public const string SecretInFile = "CMP353";

    /// <summary><c>api_key_env</c> is not a valid environment variable name.</summary>
    public const string InvalidApiKeyEnv = "CMP354";

    /// <summary>The environment variable holding the key is not set (warning when checking, error when creating).</summary>
    public const string ApiKeyNotSet = "CMP355";

    /// <summary><c>timeout_seconds</c> is not a number greater than 0.</summary>
    public const string InvalidTimeout = "CMP356";

    /// <summary><c>max_retries</c> is not a whole number from 0 to 10.</summary>
    public const string InvalidMaxRetries = "CMP357";

    /// <summary>An option has the wrong shape (a list or mapping where a single value belongs).</summary>
    public const string NotAScalar = "CMP358";

    /// <summary><c>max_tokens_field</c> is neither <c>max_tokens</c> nor <c>max_completion_tokens</c>.</summary>
    public const string InvalidMaxTokensField = "CMP359";

    /// <summary><c>max_response_bytes</c> is not a size from 1 KiB to 1 GiB.</summary>
    public const string InvalidMaxResponseBytes = "CMP380";

    /// <summary><c>continue_final_message</c> is not true or false.</summary>
    public const string InvalidContinueFinalMessage = "CMP381";

    /// <summary><c>logprobs</c> is not true or false.</summary>
    public const string InvalidLogProbs = "CMP382";
}
