using System.ClientModel;
using System.ClientModel.Primitives;
using Compose.Language;
using Compose.Models.Middleware;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Compose.Models.Providers;

/// <summary>
/// The <c>openai</c> provider: any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, llama.cpp server,
/// Ollama, LM Studio, ...). The key is read from the environment variable named by <c>api_key_env</c>, never from
/// the file. The OpenAI client's own retries are off; <see cref="RetryingChatClient"/> retries, observably.
/// </summary>
public sealed class OpenAIModelProvider(OpenAIProviderOptions? options = null) : IModelProvider
{
    /// <summary>The credential sent to servers that need no key (the client requires one). Not a secret.</summary>
    public const string NoKeyPlaceholder = "no-key-local-server";

    private readonly OpenAIProviderOptions _options = options ?? OpenAIProviderOptions.Default;

    public string Name => "openai";

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var diagnostics = new List<Diagnostic>();
        OpenAIModelOptionsReader.Read(spec, context.Environment, diagnostics);
        return diagnostics;
    }

    /// <summary>The model's options; throws <see cref="DiagnosticException"/> on errors.</summary>
    public static OpenAIModelOptions ReadOptions(ModelSpec spec, ModelProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var diagnostics = new List<Diagnostic>();
        var options = OpenAIModelOptionsReader.Read(spec, context.Environment, diagnostics);
        return options ?? throw new DiagnosticException([.. diagnostics.Where(d => d.IsError)]);
    }

    /// <summary>The retry options for a model: the host's delays with the model's <c>max_retries</c> and <c>timeout_seconds</c>.</summary>
    public RetryOptions GetRetryOptions(OpenAIModelOptions model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return _options.Retry with { MaxRetries = model.MaxRetries, Timeout = model.Timeout };
    }

    public IChatClient Create(ModelSpec spec, ModelProviderContext context)
    {
        var model = ReadOptions(spec, context);
        var client = CreateUnwrapped(spec, model, context);
        if (!_options.IncludeRetry)
        {
            return client;
        }

        return new ChatClientBuilder(client)
            .UseComposeRetry(GetRetryOptions(model), spec.Name, context.LoggerFactory)
            .Build();
    }

    /// <summary>
    /// The bare OpenAI client for the model: one HTTP request per call, no retries, every reply bounded and checked
    /// (<see cref="OpenAIReplyGuard"/>), exceptions scrubbed of the key (<see cref="SecretScrubbingChatClient"/>).
    /// </summary>
    public static IChatClient CreateUnwrapped(ModelSpec spec, OpenAIModelOptions model, ModelProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);

        var key = NoKeyPlaceholder;
        if (model.ApiKeyEnv is { } variable)
        {
            var value = context.Environment(variable);
            if (string.IsNullOrEmpty(value))
            {
                var location = (spec.Options["api_key_env"] as SpecScalar)?.Location ?? spec.Location;
                throw new DiagnosticException(
                    [OpenAIModelOptionsReader.ApiKeyNotSet(spec, variable, location, DiagnosticSeverity.Error)]);
            }

            key = value.Trim();
            SecretRedactor.Register(key);
        }

        // Every response body passes the guard: bounded to max_response_bytes, checked before the client reads it.
        var endpoint = UpstreamText.Endpoint(model.BaseUrl);
        var http = new HttpClient(new OpenAIContinuation.Handler
        {
            InnerHandler = new OpenAIReplyGuard(endpoint, model.MaxResponseBytes)
            {
                // No redirects (a key must not follow one elsewhere) and no cookies, as the OpenAI client's own transport.
                InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false },
            },
        })
        {
            // The client's NetworkTimeout and the retry's timeout bound each attempt.
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };

        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = model.BaseUrl,
            OrganizationId = model.Organization,
            NetworkTimeout = model.Timeout,
            Transport = new HttpClientPipelineTransport(http),

            // Ours retry (RetryingChatClient): logged, bounded, and honest about attempts.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        if (model.MaxTokensField == OpenAIModelOptions.MaxTokens)
        {
            clientOptions.AddPolicy(LegacyMaxTokensPolicy.Instance, PipelinePosition.PerCall);
        }

        IChatClient client = new OpenAILogProbabilities(new OpenAIClient(new ApiKeyCredential(key), clientOptions)
            .GetChatClient(model.Model)
            .AsIChatClient());

        // Innermost: a reply the client cannot read becomes an UpstreamReplyException, and no exception carrying
        // the key (a server may echo it) reaches logging or telemetry.
        return new SecretScrubbingChatClient(new OpenAIContinuation.Client(new OpenAIReplyReader(client, endpoint, http), spec.Name, model.ContinueFinalMessage));
    }

    /// <summary>
    /// Continuation of a partial answer and log-probabilities when the model says its server offers them
    /// (<c>continue_final_message: true</c>, <c>logprobs: true</c>).
    /// </summary>
    public ModelCapabilities Capabilities(ModelSpec spec, ModelProviderContext context)
    {
        try
        {
            var diagnostics = new List<Diagnostic>();
            return OpenAIModelOptionsReader.Read(spec, context.Environment, diagnostics) is { } read
                ? (read.ContinueFinalMessage ? ModelCapabilities.Continuation : ModelCapabilities.None)
                    | (read.LogProbs ? ModelCapabilities.LogProbabilities : ModelCapabilities.None)
                : ModelCapabilities.None;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return ModelCapabilities.None;
        }
    }
}
