namespace Compose.Onnx.Generation;

/// <summary>What one sequence produced: its new tokens (without the stop token), their log-probabilities, and why it ended.</summary>
public sealed record GenerationResult(
    IReadOnlyList<int> Tokens,
    IReadOnlyList<double> LogProbs,
    GenerationFinishReason FinishReason,
    int PromptTokens)
{
    public double LogProbSum => LogProbs.Sum();

    /// <summary>Per token, its most likely alternatives (when the request asked for them), most likely first.</summary>
    public IReadOnlyList<IReadOnlyList<TokenChoice>> Top { get; init; } = [];
}
