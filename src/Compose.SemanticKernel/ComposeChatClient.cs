using System.Globalization;
using System.Text.Json;
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
    public const string MaxCallsKey = "max_calls";

    /// <summary>The extension-data key of the run seed.</summary>
    public const string SeedKey = "seed";

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
        if (normalized.Seed is null && props.TryGetValue(SeedKey, out var seed) && AsLong(seed) is { } s)
        {
            normalized.Seed = s;
        }

        if ((props.TryGetValue(MaxCallsKey, out var calls) || props.TryGetValue(ComposeKeys.MaxCalls, out calls))
            && AsLong(calls) is { } c)
        {
            normalized.AdditionalProperties[ComposeKeys.MaxCalls] = (int)Math.Clamp(c, 0, int.MaxValue);
        }

        return normalized;
    }

    private static long? AsLong(object? value) => value switch
    {
        int i => i,
        long l => l,
        short s => s,
        uint u => u,
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var n) => n,
        JsonElement { ValueKind: JsonValueKind.String } e when long.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        string text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    protected override void Dispose(bool disposing)
    {
        // The pipeline is owned by its creator (the service container, or the caller).
    }
}
