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
        ["model", "base_url", "api_key_env", "timeout_seconds", "max_retries", "organization", "max_tokens_field", "max_response_bytes"];

    /// <summary>Keys of the model entry the language itself reads; accepted if they reach the provider.</summary>
    private static readonly ImmutableArray<string> s_languageKeys = ["provider", "concurrency"];

    private static readonly ImmutableArray<string> s_secretKeys = ["api_key", "apikey", "api-key", "key", "token", "secret", "password"];

    /// <summary>
    /// The options, or null when there are errors. <paramref name="environment"/> is used only to warn
    /// (<see cref="OpenAIDiagnosticCodes.ApiKeyNotSet"/>) when the key variable is not set.
    /// </summary>
    public static OpenAIModelOptions? Read(ModelSpec spec, Func<string, string?> environment, List<Diagnostic> diagnostics)
    {
        var errorsBefore = diagnostics.Count(d => d.IsError);
        string? model = null;
        string? organization = null;
        string? apiKeyEnv = null;
        var baseUrl = OpenAIModelOptions.DefaultBaseUrl;
        var timeout = TimeSpan.FromSeconds(100);
        var maxRetries = 3;
        string? maxTokensField = null;
        var maxResponseBytes = OpenAIModelOptions.DefaultMaxResponseBytes;
        var apiKeyEnvLocation = spec.Location;

        foreach (var entry in spec.Options.Entries)
        {
            if (s_secretKeys.Contains(entry.Key, StringComparer.OrdinalIgnoreCase))
            {
                diagnostics.Add(Diagnostic.Error(
                    OpenAIDiagnosticCodes.SecretInFile,
                    entry.KeyLocation,
                    $"model '{spec.Name}': '{entry.Key}' puts a secret in the pipeline file",
                    "remove it, put the key in an environment variable and name that variable: api_key_env: OPENAI_API_KEY"));
                continue;
            }

            if (s_languageKeys.Contains(entry.Key))
            {
                continue;
            }

            if (!s_options.Contains(entry.Key))
            {
                diagnostics.Add(Diagnostic.Error(
                    OpenAIDiagnosticCodes.UnknownOption,
                    entry.KeyLocation,
                    $"model '{spec.Name}': unknown option '{entry.Key}' for provider 'openai'",
                    DidYouMean.Hint(entry.Key, s_options, "known options")));
                continue;
            }

            if (entry.Value is not SpecScalar scalar)
            {
                diagnostics.Add(Diagnostic.Error(
                    OpenAIDiagnosticCodes.NotAScalar,
                    entry.Value.Location,
                    $"model '{spec.Name}': '{entry.Key}' must be a single value, not a list or mapping",
                    $"write it as {entry.Key}: value"));
                continue;
            }

            var value = scalar.Value.Trim();
            if (entry.Key != "api_key_env" && LooksLikeKey(value) && value.StartsWith("sk", StringComparison.Ordinal))
            {
                diagnostics.Add(SecretError(spec, entry, scalar.Location));
                continue;
            }

            switch (entry.Key)
            {
                case "model":
                    model = value;
                    break;
                case "organization":
                    organization = value.Length == 0 ? null : value;
                    break;
                case "base_url":
                    if (ParseBaseUrl(value) is { } url)
                    {
                        baseUrl = url;
                    }
                    else
                    {
                        diagnostics.Add(Diagnostic.Error(
                            OpenAIDiagnosticCodes.InvalidBaseUrl,
                            scalar.Location,
                            value.Contains('@', StringComparison.Ordinal)
                                ? $"model '{spec.Name}': base_url must not carry credentials (user:password@)"
                                : $"model '{spec.Name}': base_url '{Shorten(value)}' is not an absolute http(s) URL",
                            "write the server's API root, for example base_url: http://127.0.0.1:8080/v1"));
                    }

                    break;
                case "api_key_env":
                    apiKeyEnvLocation = scalar.Location;
                    if (LooksLikeKey(value))
                    {
                        diagnostics.Add(SecretError(spec, entry, scalar.Location));
                    }
                    else if (!EnvironmentName().IsMatch(value))
                    {
                        diagnostics.Add(Diagnostic.Error(
                            OpenAIDiagnosticCodes.InvalidApiKeyEnv,
                            scalar.Location,
                            $"model '{spec.Name}': api_key_env '{Shorten(value)}' is not an environment variable name",
                            "api_key_env takes the NAME of a variable (letters, digits, '_'), for example api_key_env: OPENAI_API_KEY"));
                    }
                    else
                    {
                        apiKeyEnv = value;
                    }

                    break;
                case "timeout_seconds":
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                        && seconds > 0 && seconds <= TimeSpan.FromDays(1).TotalSeconds)
                    {
                        timeout = TimeSpan.FromSeconds(seconds);
                    }
                    else
                    {
                        diagnostics.Add(Diagnostic.Error(
                            OpenAIDiagnosticCodes.InvalidTimeout,
                            scalar.Location,
                            $"model '{spec.Name}': timeout_seconds '{value}' is not a number of seconds greater than 0",
                            "for example timeout_seconds: 100 (the default); it bounds each attempt, retries get their own"));
                    }

                    break;
                case "max_tokens_field":
                    if (value is OpenAIModelOptions.MaxTokens or OpenAIModelOptions.MaxCompletionTokens)
                    {
                        maxTokensField = value;
                    }
                    else
                    {
                        diagnostics.Add(Diagnostic.Error(
                            OpenAIDiagnosticCodes.InvalidMaxTokensField,
                            scalar.Location,
                            $"model '{spec.Name}': max_tokens_field '{Shorten(value)}' is neither max_tokens nor max_completion_tokens",
                            "max_tokens suits most local servers; max_completion_tokens is what api.openai.com expects"));
                    }

                    break;
                case "max_response_bytes":
                    if (ParseBytes(value) is { } bytes
                        && bytes is >= OpenAIModelOptions.MinMaxResponseBytes and <= OpenAIModelOptions.MaxMaxResponseBytes)
                    {
                        maxResponseBytes = bytes;
                    }
                    else
                    {
                        diagnostics.Add(Diagnostic.Error(
                            OpenAIDiagnosticCodes.InvalidMaxResponseBytes,
                            scalar.Location,
                            $"model '{spec.Name}': max_response_bytes '{Shorten(value)}' is not a size from 1KiB to 1GiB",
                            "a number of bytes, or with KiB, MiB or GiB: for example max_response_bytes: 64MiB (the default is 32MiB)"));
                    }

                    break;
                case "max_retries":
                    if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var retries)
                        && retries is >= 0 and <= MaxRetriesLimit)
                    {
                        maxRetries = retries;
                    }
                    else
                    {
                        diagnostics.Add(Diagnostic.Error(
                            OpenAIDiagnosticCodes.InvalidMaxRetries,
                            scalar.Location,
                            $"model '{spec.Name}': max_retries '{value}' is not a whole number from 0 to {MaxRetriesLimit}",
                            "for example max_retries: 3 (the default); 0 turns retrying off"));
                    }

                    break;
            }
        }

        if (string.IsNullOrEmpty(model))
        {
            var location = spec.Options["model"]?.Location ?? spec.Location;
            diagnostics.Add(Diagnostic.Error(
                OpenAIDiagnosticCodes.MissingModel,
                location,
                $"model '{spec.Name}': provider 'openai' needs 'model', the model id the server knows",
                "for example model: gpt-4o-mini, or the name your local server lists under /v1/models"));
        }

        // The official endpoint always needs a key; say which variable is read.
        if (apiKeyEnv is null && spec.Options["api_key_env"] is null && IsOfficial(baseUrl)
            && (spec.Options["base_url"] is null || diagnostics.Count(d => d.IsError) == errorsBefore))
        {
            apiKeyEnv = OpenAIModelOptions.DefaultApiKeyEnv;
        }

        if (apiKeyEnv is not null && string.IsNullOrEmpty(environment(apiKeyEnv)))
        {
            diagnostics.Add(ApiKeyNotSet(spec, apiKeyEnv, apiKeyEnvLocation, DiagnosticSeverity.Warning));
        }

        if (diagnostics.Count(d => d.IsError) > errorsBefore)
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
            MaxTokensField = maxTokensField
                ?? (IsOfficial(baseUrl) ? OpenAIModelOptions.MaxCompletionTokens : OpenAIModelOptions.MaxTokens),
        };
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
