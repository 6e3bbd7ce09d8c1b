using System.Collections.Immutable;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// First Finish Search (arXiv 2505.18149): <c>samples</c> calls run side by side, streamed; the first <c>keep</c> that
/// finish (the model ended its answer, or its token limit did) pass on in the order they finished, and the calls still
/// running are cancelled at once, each billed only for the tokens it produced. Which calls finish first depends on
/// timing, so unlike the other techniques the outcome is not fixed by the seed alone. A <c>sampling_stopped</c> event
/// lists the cancelled calls.
/// </summary>
public sealed class FirstFinish(FirstFinishSpec spec) : ITechnique
{
    public FirstFinishSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.NewPromptModel();
        data["candidates"] = CandidatePrompts.Candidates(context.Input, withCritiques: false);
        var prompt = context.Render("generate", data);
        using var stop = new CancellationTokenSource();
        var pending = Enumerable.Range(0, Spec.Samples)
            .Select(i => AdaptiveVote.Guarded(AdaptiveSampling.SampleAsync(context, prompt, i, null, 1, null, stop.Token, cancellationToken)))
            .ToList();
        var finished = new List<Candidate>();
        var stopped = new List<Candidate>();
        var budget = false;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            var (candidate, refused) = await done.ConfigureAwait(false);
            budget |= refused;
            if (candidate is null)
            {
                continue;
            }

            if (candidate.Stopped is null && finished.Count < Spec.Keep)
            {
                finished.Add(candidate);
                if (finished.Count == Spec.Keep)
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                }
            }
            else
            {
                stopped.Add(candidate.Stopped is null ? candidate with { Stopped = "after_stop" } : candidate);
            }
        }

        var reason = finished.Count == Spec.Keep ? "first_finished" : budget ? "budget" : "all_finished";
        AdaptiveSampling.ReportStop(context, "first_finish", reason, finished.Count, Spec.Samples, stopped);
        if (finished.Count == 0)
        {
            throw new BudgetExceededException("budget exhausted before any sample of first_finish completed");
        }

        return [.. finished];
    }
}
