using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Compose.Models.Providers;

/// <summary>
/// The openai provider's side of <see cref="ChatContinuation"/>, in two parts that share one call's state through the
/// async flow: <see cref="Client"/> on the chat client (it refuses a continuation the model is not configured for, and
/// puts the reply's <see cref="ChatContinuation.StoppedByKey"/> on the response) and <see cref="Handler"/> on the HTTP
/// client (it adds vLLM's and SGLang's <c>continue_final_message: true, add_generation_prompt: false</c> to a
/// continuation request, and, for a call with stop sequences or a continuation, reads why a non-streamed reply stopped:
/// <c>finish_reason: stop</c> with vLLM's
/// <c>stop_reason</c>, the stop string, or null at the end of the turn; servers that do not send <c>stop_reason</c>
/// leave it unknown).
/// </summary>
internal static class OpenAIContinuation
{
    private static readonly AsyncLocal<CallState?> Current = new();

    private sealed class CallState(bool continues, bool wantsStopReason)
    {
        public bool Continues { get; } = continues;

        /// <summary>Why the reply stopped matters only to a call with stop sequences or a continuation (a step search).</summary>
        public bool WantsStopReason { get; } = wantsStopReason;

        public string? StoppedBy { get; set; }
    }

    /// <summary>On the chat client: marks the call's state for the handler and reports what it read.</summary>
    internal sealed class Client(IChatClient inner, string modelName, bool enabled) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var state = Begin(messages, options);
            var outer = Current.Value;
            Current.Value = state;
            try
            {
                var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
                if (state.StoppedBy is { } by && response.FinishReason == ChatFinishReason.Stop)
                {
                    response.AdditionalProperties ??= [];
                    response.AdditionalProperties[ChatContinuation.StoppedByKey] = by;
                }

                return response;
            }
            finally
            {
                Current.Value = outer;
            }
        }

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var state = Begin(messages, options);
            var outer = Current.Value;
            Current.Value = state;
            try
            {
                await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
                {
                    yield return update;
                }
            }
            finally
            {
                Current.Value = outer;
            }
        }

        private CallState Begin(IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            var continues = ChatContinuation.PartialAnswer(messages, options) is not null;
            if (continues && !enabled)
            {
                throw ChatContinuation.NotSupported(modelName, "openai",
                    "set 'continue_final_message: true' on the model when its server continues a final assistant message (vLLM, SGLang)");
            }

            return new CallState(continues, continues || options?.StopSequences is { Count: > 0 });
        }
    }

    /// <summary>On the HTTP client: writes the continuation fields into the request and reads the stop reason from the reply.</summary>
    internal sealed class Handler : DelegatingHandler
    {
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
            SendAsync(request, cancellationToken).GetAwaiter().GetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var state = Current.Value;
            if (state is { Continues: true } && request.Content is { } content)
            {
                var body = JsonNode.Parse(await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false)) as JsonObject;
                if (body is not null)
                {
                    body["continue_final_message"] = true;
                    body["add_generation_prompt"] = false;
                    var replaced = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                    request.Content = replaced;
                    content.Dispose();
                }
            }

            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (state is { WantsStopReason: true } && response.IsSuccessStatusCode
                && response.Content.Headers.ContentType?.MediaType is "application/json")
            {
                // The guard below has already read and checked the body into memory; reading it again copies bytes.
                state.StoppedBy = StopReason(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            }

            return response;
        }

        /// <summary>The first choice's stop: its <c>stop_reason</c> string, <c>""</c> for null or a token id; null when not reported.</summary>
        internal static string? StopReason(byte[] body)
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.ValueKind != JsonValueKind.Object
                    || !json.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array
                    || choices.GetArrayLength() == 0 || choices[0].ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                var choice = choices[0];
                if (!choice.TryGetProperty("finish_reason", out var finish) || finish.ValueKind != JsonValueKind.String || finish.GetString() != "stop"
                    || !choice.TryGetProperty("stop_reason", out var reason))
                {
                    return null;
                }

                return reason.ValueKind == JsonValueKind.String ? reason.GetString() : "";
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
