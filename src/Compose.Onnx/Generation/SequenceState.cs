using System.Collections.Immutable;

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

    /// <summary>Picks the next token from the row's logits, within <see cref="GenerationRequest.Choices"/> when it has any.</summary>
    public int Next(ReadOnlySpan<float> logits, out float logProb)
    {
        if (Request.Choices.IsEmpty)
        {
            return Sampler.Next(logits, out logProb);
        }

        Span<int> allowed = stackalloc int[Math.Min(Request.Choices.Length, 256)];
        var n = 0;
        foreach (var choice in Request.Choices)
        {
            if (n < allowed.Length && choice.Length > Tokens.Count && Continues(choice) && (uint)choice[Tokens.Count] < (uint)logits.Length
                && !allowed[..n].Contains(choice[Tokens.Count]))
            {
                allowed[n++] = choice[Tokens.Count];
            }
        }

        return n == 0 ? Sampler.Next(logits, out logProb) : Sampler.NextAmong(logits, allowed[..n], out logProb);
    }

    /// <summary>True when the tokens so far equal one of <see cref="GenerationRequest.Choices"/> in full.</summary>
    public bool CompletesChoice() => Request.Choices.Any(c => c.Length == Tokens.Count && Continues(c));

    private bool Continues(ImmutableArray<int> choice)
    {
        for (var i = 0; i < Tokens.Count; i++)
        {
            if (choice[i] != Tokens[i])
            {
                return false;
            }
        }

        return true;
    }

    public void Finish(GenerationFinishReason reason) =>
        Completion.TrySetResult(new GenerationResult(Tokens.ToArray(), LogProbs.ToArray(), reason, Request.PromptIds.Count) { Top = Top.ToArray() });

    /// <summary>
    /// Records a sampled token, the same for every engine; false when the sequence is finished (and completed). A
    /// sequence whose cancellation is requested (before the step, or by its observer while it sees this token) leaves at
    /// once: no further step runs for it. <paramref name="top"/> are the token's alternatives when the request asked for
    /// them; <paramref name="total"/> is the padded length of the sequence's row.
    /// </summary>
    public bool Accept(int token, float logProb, TokenChoice[]? top, int total, IReadOnlySet<int> eos, int contextLength)
    {
        if (Cancellation.IsCancellationRequested)
        {
            Completion.TrySetCanceled(Cancellation);
            return false;
        }

        var request = Request;
        if ((request.StopAtEndOfSequence && eos.Contains(token)) || request.StopTokenIds.Contains(token))
        {
            Finish(GenerationFinishReason.EndOfSequence);
            return false;
        }

        Tokens.Add(token);
        LogProbs.Add(logProb);
        if (top is not null)
        {
            Top.Add(top);
            request.TopObserver?.Invoke(top);
        }

        if (request.Observer is { } observer && !observer(token, logProb))
        {
            Finish(GenerationFinishReason.StopSequence);
            return false;
        }

        if (Cancellation.IsCancellationRequested)
        {
            Completion.TrySetCanceled(Cancellation);
            return false;
        }

        if (!request.Choices.IsEmpty && CompletesChoice())
        {
            Finish(GenerationFinishReason.EndOfSequence);
            return false;
        }

        if (Tokens.Count >= request.MaxNewTokens)
        {
            Finish(GenerationFinishReason.MaxTokens);
            return false;
        }

        if (total - Pad + 1 >= contextLength)
        {
            Finish(GenerationFinishReason.ContextFull);
            return false;
        }

        return true;
    }
}
