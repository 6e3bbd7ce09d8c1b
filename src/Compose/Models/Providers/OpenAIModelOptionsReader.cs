using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Compose.Language;

namespace Compose.Models.Providers;

/// <summary>Reads and checks the options of an <c>openai</c> model; every problem becomes a diagnostic at its location.</summary>
internal static partial class OpenAIModelOptionsReader
{
    public const int MaxRetriesLimit = 10;

    private static readonly ImmutableArray<string> s_options =
        ["model", "base_url", "api_key_env", "timeout_seconds", "max_retries", "organization", "max_tokens_field", "max_response_bytes", "continue_final_message", "logprobs"];

    /// <summary>Keys of the model entry the language itself reads; accepted if they reach the provider.</summary>
    private static readonly ImmutableArray<string> s_languageKeys = ["provider", "concurrency"];

    private static readonly ImmutableArray<string> s_secretKeys = ["api_key", "apikey", "api-key", "key", "token", "secret", "password"];

    /// <summary>
    /// The options, or null when there are errors. <paramref name="environment"/> is used only to warn
    /// (<see cref="OpenAIDiagnosticCodes.ApiKeyNotSet"/>) when the key variable is not set.
    /// </summary>
    public static OpenAIModelOptions? Read(ModelSpec spec, Func<string, string?> environment, List<Diagnostic> diagnostics)
    {
        var options = new ModelOptionsReader("openai", spec, diagnostics)
        {
            TrimValues = true,
            NotScalar = new(
                OpenAIDiagnosticCodes.NotAScalar,
                key => $"model '{spec.Name}': '{key}' must be a single value, not a list or mapping",
                key => $"write it as {key}: value"),
        };
        RefuseSecrets(spec, options);
        options.Known(
            s_options,
            new(OpenAIDiagnosticCodes.UnknownOption,
                key => $"model '{spec.Name}': unknown option '{key}' for provider 'openai'",
                key => DidYouMean.Hint(key, s_options, "known options")),
            alsoAccepted: s_languageKeys);

        var baseUrl = options.Text(
            "base_url",
            new(OpenAIDiagnosticCodes.InvalidBaseUrl,
                value => value.Contains('@', StringComparison.Ordinal)
                    ? $"model '{spec.Name}': base_url must not carry credentials (user:password@)"
                    : $"model '{spec.Name}': base_url '{Shorten(value)}' is not an absolute http(s) URL",
                "write the server's API root, for example base_url: http://127.0.0.1:8080/v1"),
            value => ParseBaseUrl(value) is not null) is { } url
            ? ParseBaseUrl(url)!
            : OpenAIModelOptions.DefaultBaseUrl;
        var apiKeyEnv = options.Text(
            "api_key_env",
            new(OpenAIDiagnosticCodes.InvalidApiKeyEnv,
                value => $"model '{spec.Name}': api_key_env '{Shorten(value)}' is not an environment variable name",
                "api_key_env takes the NAME of a variable (letters, digits, '_'), for example api_key_env: OPENAI_API_KEY"),
            EnvironmentName().IsMatch);
        var timeout = options.Double(
            "timeout_seconds",
            0,
            TimeSpan.FromDays(1).TotalSeconds,
            new(OpenAIDiagnosticCodes.InvalidTimeout,
                value => $"model '{spec.Name}': timeout_seconds '{value}' is not a number of seconds greater than 0",
                "for example timeout_seconds: 100 (the default); it bounds each attempt, retries get their own"),
            minExclusive: true) is { } seconds
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(100);
        var maxRetries = options.Int(
            "max_retries",
            0,
            MaxRetriesLimit,
            new(OpenAIDiagnosticCodes.InvalidMaxRetries,
                value => $"model '{spec.Name}': max_retries '{value}' is not a whole number from 0 to {MaxRetriesLimit}",
                "for example max_retries: 3 (the default); 0 turns retrying off")) ?? 3;
        var organization = options.Text("organization") is { Length: > 0 } org ? org : null;
        var maxTokensField = options.Word(
            "max_tokens_field",
            [OpenAIModelOptions.MaxTokens, OpenAIModelOptions.MaxCompletionTokens],
            new(OpenAIDiagnosticCodes.InvalidMaxTokensField,
                value => $"model '{spec.Name}': max_tokens_field '{Shorten(value)}' is neither max_tokens nor max_completion_tokens",
                "max_tokens suits most local servers; max_completion_tokens is what api.openai.com expects"));
        var maxResponseBytes = options.Text(
            "max_response_bytes",
            new(OpenAIDiagnosticCodes.InvalidMaxResponseBytes,
                value => $"model '{spec.Name}': max_response_bytes '{Shorten(value)}' is not a size from 1KiB to 1GiB",
                "a number of bytes, or with KiB, MiB or GiB: for example max_response_bytes: 64MiB (the default is 32MiB)"),
            value => ParseBytes(value) is >= OpenAIModelOptions.MinMaxResponseBytes and <= OpenAIModelOptions.MaxMaxResponseBytes) is { } size
            ? ParseBytes(size)!.Value
            : OpenAIModelOptions.DefaultMaxResponseBytes;
        var continuation = options.Bool(
            "continue_final_message",
            new(OpenAIDiagnosticCodes.InvalidContinueFinalMessage,
                value => $"model '{spec.Name}': continue_final_message '{Shorten(value)}' is neither true nor false",
                "true when the server continues a final assistant message (vLLM, SGLang: continue_final_message / add_generation_prompt)")) ?? false;
        var logprobs = options.Bool(
            "logprobs",
            new(OpenAIDiagnosticCodes.InvalidLogProbs,
                value => $"model '{spec.Name}': logprobs '{Shorten(value)}' is neither true nor false",
                "true when the server reports token log-probabilities (logprobs / top_logprobs), as OpenAI, vLLM and llama.cpp do")) ?? false;
        var model = options.Required(
            "model",
            new(OpenAIDiagnosticCodes.MissingModel,
                $"model '{spec.Name}': provider 'openai' needs 'model', the model id the server knows",
                "for example model: gpt-4o-mini, or the name your local server lists under /v1/models"))?.Value;

        // The official endpoint always needs a key; say which variable is read.
        if (apiKeyEnv is null && spec.Options["api_key_env"] is null && IsOfficial(baseUrl)
            && (spec.Options["base_url"] is null || !options.HasErrors))
        {
            apiKeyEnv = OpenAIModelOptions.DefaultApiKeyEnv;
        }

        var apiKeyEnvLocation = spec.Options["api_key_env"]?.Location ?? spec.Location;
        if (apiKeyEnv is not null && string.IsNullOrEmpty(environment(apiKeyEnv)))
        {
            diagnostics.Add(ApiKeyNotSet(spec, apiKeyEnv, apiKeyEnvLocation, DiagnosticSeverity.Warning));
        }

        if (options.HasErrors)
        {
            return null;
        }

        return new OpenAIModelOptions
        {
            Model = model!,
            BaseUrl = baseUrl,
            ApiKeyEnv = apiKeyEnv,
            Timeout = timeout,
            MaxRetries = maxRetries,
            Organization = organization,
            MaxResponseBytes = maxResponseBytes,
            ContinueFinalMessage = continuation,
            LogProbs = logprobs,
            MaxTokensField = maxTokensField
                ?? (IsOfficial(baseUrl) ? OpenAIModelOptions.MaxCompletionTokens : OpenAIModelOptions.MaxTokens),
        };
    }

    /// <summary>
    /// A secret never belongs in the file: a key named like one (<c>api_key</c>), or a value of a known option that
    /// looks like a key (any option's <c>sk-...</c>, anything key-like in <c>api_key_env</c>). The option is refused,
    /// so it is reported only as a secret.
    /// </summary>
    private static void RefuseSecrets(ModelSpec spec, ModelOptionsReader options)
    {
        foreach (var entry in spec.Options.Entries)
        {
            if (s_secretKeys.Contains(entry.Key, StringComparer.OrdinalIgnoreCase))
            {
                options.Add(entry.Key, Diagnostic.Error(
                    OpenAIDiagnosticCodes.SecretInFile,
                    entry.KeyLocation,
                    $"model '{spec.Name}': '{entry.Key}' puts a secret in the pipeline file",
                    "remove it, put the key in an environment variable and name that variable: api_key_env: OPENAI_API_KEY"));
            }
            else if (s_options.Contains(entry.Key) && entry.Value is SpecScalar scalar && scalar.Value.Trim() is var value
                && LooksLikeKey(value) && (entry.Key == "api_key_env" || value.StartsWith("sk", StringComparison.Ordinal)))
            {
                options.Add(entry.Key, SecretError(spec, entry, scalar.Location));
            }
        }
    }

    public static Diagnostic ApiKeyNotSet(ModelSpec spec, string variable, SourceLocation location, DiagnosticSeverity severity) =>
        new(
            OpenAIDiagnosticCodes.ApiKeyNotSet,
            severity,
            $"model '{spec.Name}': environment variable '{variable}' (api_key_env) is not set",
            location,
            $"set it before running, for example: export {variable}=<your key>");

    /// <summary>True for text that looks like a credential rather than a variable name.</summary>
    internal static bool LooksLikeKey(string value)
    {
        if (value.StartsWith("sk-", StringComparison.Ordinal) || value.StartsWith("sk_", StringComparison.Ordinal)
            || value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (value.Length < 20)
        {
            return false;
        }

        // Long and random-looking: mixed case with digits, or not a name at all.
        var classes = (value.Any(char.IsLower) ? 1 : 0) + (value.Any(char.IsUpper) ? 1 : 0) + (value.Any(char.IsDigit) ? 1 : 0);
        return (classes >= 3 && !value.Contains('_', StringComparison.Ordinal)) || (!EnvironmentName().IsMatch(value) && !value.Contains("://", StringComparison.Ordinal));
    }

    /// <summary>A size in bytes: digits, optionally followed by KiB, MiB or GiB (also K/KB, M/MB, G/GB, all binary); null if not one.</summary>
    internal static long? ParseBytes(string value)
    {
        var match = ByteSize().Match(value);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        var unit = match.Groups[2].Value.ToUpperInvariant();
        long multiplier = unit.Length == 0 ? 1 : unit[0] switch { 'K' => 1024, 'M' => 1024 * 1024, _ => 1024 * 1024 * 1024 };
        return number <= long.MaxValue / multiplier ? number * multiplier : null;
    }

    private static bool IsOfficial(Uri url) => url.Host.Equals("api.openai.com", StringComparison.OrdinalIgnoreCase);

    private static Uri? ParseBaseUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url)
        && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(url.UserInfo)
        && url.Host.Length > 0
            ? url
            : null;

    private static Diagnostic SecretError(ModelSpec spec, SpecEntry entry, SourceLocation location) =>
        Diagnostic.Error(
            OpenAIDiagnosticCodes.SecretInFile,
            location,
            $"model '{spec.Name}': the value of '{entry.Key}' looks like an API key; keys must not be written in pipeline files",
            "put the key in an environment variable and give its NAME: api_key_env: OPENAI_API_KEY (then revoke the key if the file was shared)");

    /// <summary>Values in messages are shortened so a long secret pasted in the wrong place is not repeated whole.</summary>
    private static string Shorten(string value) => value.Length <= 40 ? value : $"{value[..12]}...";

    [GeneratedRegex(@"^([0-9]{1,19})\s*((?:[KMG](?:i?B)?)?)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ByteSize();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentName();
}
