namespace Compose.Onnx.Generation;

/// <summary>One sequence while it is being generated: its request, sampler, output so far and completion.</summary>
internal sealed class SequenceState(GenerationRequest request, CancellationToken cancellation)
{
    public GenerationRequest Request { get; } = request;
    public CancellationToken Cancellation { get; } = cancellation;
    public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TokenSampler Sampler { get; } = new(request.Sampling);
    public List<int> Tokens { get; } = new(Math.Min(Math.Max(request.MaxNewTokens, 1), 4096));
    public List<double> LogProbs { get; } = new(Math.Min(Math.Max(request.MaxNewTokens, 1), 4096));
    public List<IReadOnlyList<TokenChoice>> Top { get; } = [];

    /// <summary>Left padding of this sequence's prompt in its batch.</summary>
    public int Pad { get; set; }

    public int LastToken => Tokens.Count > 0 ? Tokens[^1] : Request.PromptIds[^1];

    public bool IsDone => Completion.Task.IsCompleted;

    public void Finish(GenerationFinishReason reason) =>
        Completion.TrySetResult(new GenerationResult(Tokens.ToArray(), LogProbs.ToArray(), reason, Request.PromptIds.Count) { Top = Top.ToArray() });
}
