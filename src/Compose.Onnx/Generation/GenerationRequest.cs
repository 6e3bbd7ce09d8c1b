using System.Collections.Immutable;

namespace Compose.Onnx.Generation;

/// <summary>
/// Observes each generated token on the generation thread; returns false to stop the sequence.
/// </summary>
public delegate bool TokenObserver(int token, float logProb);

/// <summary>One of the most likely tokens at a position: its id and log-probability (log-softmax of the raw logits).</summary>
public readonly record struct TokenChoice(int Id, float LogProb);

/// <summary>One sequence to generate from a tokenized prompt.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<int> PromptIds { get; init; }

    public int MaxNewTokens { get; init; } = 256;

    public SamplingSettings Sampling { get; init; } = SamplingSettings.Greedy;

    /// <summary>Token ids that end the sequence besides the model's end-of-sequence ids (not included in the output).</summary>
    public ImmutableArray<int> StopTokenIds { get; init; } = [];

    /// <summary>When false, the model's own end-of-sequence ids do not stop generation.</summary>
    public bool StopAtEndOfSequence { get; init; } = true;

    public TokenObserver? Observer { get; init; }

    /// <summary>
    /// When not empty, the sequence must be one of these token sequences: each step may only choose a token that
    /// continues one of them (the others are masked out), and the sequence ends as soon as it equals one.
    /// </summary>
    public ImmutableArray<ImmutableArray<int>> Choices { get; init; } = [];

    /// <summary>
    /// A constraint the engine enforces with its own grammar machinery (the genai engine's guidance: a pattern or a
    /// JSON schema); engines without one refuse a request that carries it.
    /// </summary>
    public Compose.Models.OutputConstraint? Guidance { get; init; }

    /// <summary>
    /// The most likely tokens to report at each generated position, with their log-probabilities (0: none), computed
    /// from the logits the step already has; they are in <see cref="GenerationResult.Top"/> and, before the
    /// <see cref="Observer"/> sees the token, in the sequence's <see cref="TopObserver"/>.
    /// </summary>
    public int TopLogProbs { get; init; }

    /// <summary>Sees each generated token's top alternatives (when <see cref="TopLogProbs"/> &gt; 0) just before <see cref="Observer"/>.</summary>
    public Action<IReadOnlyList<TokenChoice>>? TopObserver { get; init; }
}
