using System.Collections.Immutable;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Adaptive self-consistency. Samples are called in waves of <c>wave</c> side by side; their answers are counted in
/// sample order (so the stopping point does not depend on which call returns first), and after each one:
/// <list type="bullet">
/// <item><c>stop: beta</c> (Adaptive-Consistency): with v1, v2 the votes of the two leading answers, stop when
/// <c>1 - I_0.5(v1 + 1, v2 + 1)</c> reaches <c>threshold</c>;</item>
/// <item><c>stop: agreement</c> (early-stopping self-consistency, ESC): stop after a whole wave that gave one answer;</item>
/// <item>either way, stop when the leader is settled: more votes than the runner-up could reach with every sample left
/// up to <c>max_samples</c>.</item>
/// </list>
/// On stopping, the wave's calls still running are cancelled (each billed for the tokens it produced) and samples after
/// the stopping point are left out of the vote. The candidates of the winning answer pass on, scored with its share; a
/// <c>sampling_stopped</c> event says the rule, the reason, the samples used and the calls cancelled.
/// </summary>
public sealed class AdaptiveVote(AdaptiveVoteSpec spec) : ITechnique
{
    private readonly UserRegex? _extract = spec.Extract is null ? null : new UserRegex(spec.Extract, "adaptive_vote extract");

    public AdaptiveVoteSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.NewPromptModel();
        data["candidates"] = CandidatePrompts.Candidates(context.Input, withCritiques: false);
        var prompt = context.Render("generate", data);
        var rule = Spec.Stop == StoppingRule.Beta ? "beta" : "agreement";

        var used = new List<Candidate>();
        var answers = new List<string?>();
        var stopped = new List<Candidate>();
        string? reason = null;
        double? probability = null;
        var launched = 0;
        using var stop = new CancellationTokenSource();
        while (reason is null && launched < Spec.MaxSamples)
        {
            var size = Math.Min(Spec.Wave, Spec.MaxSamples - launched);
            var first = launched;
            var wave = Enumerable.Range(first, size)
                .Select(i => Guarded(AdaptiveSampling.SampleAsync(context, prompt, i, null, 1, null, stop.Token, cancellationToken)))
                .ToArray();
            launched += size;
            for (var j = 0; j < size; j++)
            {
                var (candidate, budget) = await wave[j].ConfigureAwait(false);
                if (reason is not null)
                {
                    if (candidate is not null)
                    {
                        stopped.Add(candidate.Stopped is null ? candidate with { Stopped = "after_stop" } : candidate);
                    }

                    continue;
                }

                if (budget || candidate is null)
                {
                    reason = "budget";
                    await stop.CancelAsync().ConfigureAwait(false);
                    continue;
                }

                used.Add(candidate);
                answers.Add(AnswerExtractor.Extract(candidate.Text, _extract));
                var (top, second) = AdaptiveSampling.TopTwo(answers);
                if (Spec.Stop == StoppingRule.Beta)
                {
                    probability = AdaptiveSampling.BetaProbability(top, second);
                    if (probability >= Spec.Threshold)
                    {
                        reason = "beta";
                    }
                }
                else if (j == size - 1 && size == Spec.Wave)
                {
                    var window = answers.Skip(answers.Count - size).ToList();
                    if (window[0] is not null && window.All(a => a == window[0]))
                    {
                        reason = "agreement";
                    }
                }

                if (reason is null && used.Count < Spec.MaxSamples && AdaptiveSampling.Settled(top, second, Spec.MaxSamples - used.Count))
                {
                    reason = "settled";
                }

                if (reason is not null)
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                }
            }
        }

        AdaptiveSampling.ReportStop(context, rule, reason ?? "max_samples", used.Count, launched, stopped, probability, Spec.Stop == StoppingRule.Beta ? Spec.Threshold : null);
        if (used.Count == 0)
        {
            throw new BudgetExceededException("budget exhausted before any sample of adaptive_vote completed");
        }

        var all = used.ToImmutableArray();
        var count = Selection.Count(all, _extract, Language.TieBreak.First);
        context.Report(new VoteCounted(context.NodeId, count.Answer, count.Share, count.Tally, count.Abstained) { QuestionId = context.Question.Id });
        return count.Answer is null ? all : [.. count.Winners.Select(c => c with { Score = count.Share })];
    }

    /// <summary>A sample, or (null, true) when the budget refused it.</summary>
    internal static async Task<(Candidate? Candidate, bool Budget)> Guarded(Task<Candidate> sample)
    {
        try
        {
            return (await sample.ConfigureAwait(false), false);
        }
        catch (BudgetExceededException)
        {
            return (null, true);
        }
    }
}
