using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.SemanticKernel;

/// <summary>
/// A compiled pipeline as the chat client a host sees. It reads the run's seed and budget from the
/// options a Semantic Kernel app passes (<c>PromptExecutionSettings.ExtensionData</c> arrives as
/// <see cref="ChatOptions.AdditionalProperties"/>): <c>seed</c> (when <see cref="ChatOptions.Seed"/>
/// is not set) and <c>max_calls</c> (the per-question call budget), given as numbers or numeric text.
/// The pipeline belongs to whoever created it: disposing this client leaves it alone.
/// </summary>
public sealed class ComposeChatClient(RunnablePipeline pipeline) : DelegatingChatClient(pipeline)
{
    /// <summary>The extension-data key of the per-question call budget.</summary>
    public const string MaxCallsKey = ComposeKeys.MaxCallsAlias;

    /// <summary>The extension-data key of the run seed.</summary>
    public const string SeedKey = ComposeKeys.SeedAlias;

    public RunnablePipeline Pipeline { get; } = pipeline;

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, Normalize(options), cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, Normalize(options), cancellationToken);

    /// <summary>Maps <c>seed</c> and <c>max_calls</c> from additional properties onto what the pipeline reads.</summary>
    internal static ChatOptions? Normalize(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { Count: > 0 } props)
        {
            return options;
        }

        var normalized = options.Clone();
        normalized.AdditionalProperties = new AdditionalPropertiesDictionary(props);
        normalized.Seed = ComposeKeys.SeedOf(options);
        if (ComposeKeys.MaxCallsOf(props) is { } calls)
        {
            normalized.AdditionalProperties[ComposeKeys.MaxCalls] = calls;
        }

        return normalized;
    }

    protected override void Dispose(bool disposing)
    {
        // The pipeline is owned by its creator (the service container, or the caller).
    }
}
