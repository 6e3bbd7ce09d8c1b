using System.Collections.Immutable;

namespace Compose.Onnx.Config;

/// <summary>What genai_config.json says about a model folder.</summary>
public sealed record GenAiConfig
{
    public required string ModelType { get; init; }
    public required string DecoderFile { get; init; }
    public required DecoderIoNames Names { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int HeadSize { get; init; }
    public int? HiddenSize { get; init; }
    public required int ContextLength { get; init; }
    public int? VocabSize { get; init; }
    public int? BosTokenId { get; init; }
    public ImmutableArray<int> EosTokenIds { get; init; } = [];
    public int PadTokenId { get; init; }

    /// <summary>Session configuration entries (<c>session_options</c> other than <c>provider_options</c>).</summary>
    public ImmutableDictionary<string, string> SessionOptions { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Execution providers in order of preference, each with its options; empty means CPU.</summary>
    public ImmutableArray<ExecutionProviderConfig> Providers { get; init; } = [];

    /// <summary>Defaults from the <c>search</c> section, if any.</summary>
    public SearchDefaults Search { get; init; } = new();
}

/// <summary>One entry of <c>provider_options</c>: <c>{"cuda": {"key": "value"}}</c>.</summary>
public sealed record ExecutionProviderConfig(string Name, ImmutableDictionary<string, string> Options);

/// <summary>The <c>search</c> section of genai_config.json.</summary>
public sealed record SearchDefaults
{
    public bool DoSample { get; init; }
    public int? MaxLength { get; init; }
    public float? Temperature { get; init; }
    public int? TopK { get; init; }
    public float? TopP { get; init; }

    /// <summary>
    /// <c>past_present_share_buffer</c>: ORT GenAI binds each layer's past and present to one buffer of max_length
    /// positions (the model builder sets it for GroupQueryAttention decoders). The compose engine does not need it: it
    /// feeds the past it has and takes the longer present the graph returns.
    /// </summary>
    public bool PastPresentShareBuffer { get; init; }
}
