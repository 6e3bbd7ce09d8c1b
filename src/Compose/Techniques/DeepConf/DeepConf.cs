using System.Collections.Immutable;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// DeepConf (arXiv 2508.15260). Every sample asks for its tokens' top-<c>top_logprobs</c> log-probabilities and is
/// summarised (<see cref="ConfidenceSummary"/>, groups of <c>window</c> tokens).
/// <list type="bullet">
/// <item>Offline: all <c>samples</c> are called (waves of <c>wave</c>); the most confident <c>keep</c> share by
/// <c>measure</c> vote, each weighted by its confidence.</item>
/// <item>Online: <c>warmup</c> samples are called in full; the threshold is the <c>100·(1 - keep)</c> percentile of
/// their lowest group confidence. Then samples are called in waves; a sample whose running group confidence (the last
/// <c>window</c> tokens) falls below the threshold is stopped while it is being generated, billed for what it produced,
/// and does not vote. After each sample (in sample order) the confidence-weighted vote over the warm-up samples at or
/// above the threshold and the finished samples is checked: once its leader holds <c>consensus</c> of the weight, sampling
/// stops and the calls still running are cancelled.</item>
/// </list>
/// The winning answer's candidates pass on, scored with its weighted share; <c>sampling_stopped</c> says why and when.
/// </summary>
public sealed class DeepConf(DeepConfSpec spec) : ITechnique
{
    private readonly UserRegex? _extract = spec.Extract is null ? null : new UserRegex(spec.Extract, "deepconf extract");

    public DeepConfSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.NewPromptModel();
        data["candidates"] = CandidatePrompts.Candidates(context.Input, withCritiques: false);
        var prompt = context.Render("generate", data);
        return Spec.Mode == DeepConfMode.Offline
            ? await OfflineAsync(context, prompt, cancellationToken).ConfigureAwait(false)
            : await OnlineAsync(context, prompt, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ImmutableArray<Candidate>> OfflineAsync(TechniqueContext context, string prompt, CancellationToken cancellationToken)
    {
        var all = new List<Candidate>();
        var budget = false;
        for (var first = 0; first < Spec.Samples && !budget; first += Spec.Wave)
        {
            var wave = await Task.WhenAll(Enumerable.Range(first, Math.Min(Spec.Wave, Spec.Samples - first))
                .Select(i => AdaptiveVote.Guarded(Sample(context, prompt, i, null, CancellationToken.None, cancellationToken)))).ConfigureAwait(false);
            foreach (var (candidate, refused) in wave)
            {
                budget |= refused;
                if (candidate is not null)
                {
                    all.Add(candidate);
                }
            }
        }

        AdaptiveSampling.ReportStop(context, "deepconf_offline", budget ? "budget" : "max_samples", all.Count, all.Count, []);
        var kept = AdaptiveSampling.MostConfident([.. all], Spec.Measure, Spec.Keep);
        return Decide(context, all, kept);
    }

    private async Task<ImmutableArray<Candidate>> OnlineAsync(TechniqueContext context, string prompt, CancellationToken cancellationToken)
    {
        var warm = await Task.WhenAll(Enumerable.Range(0, Spec.Warmup)
            .Select(i => AdaptiveVote.Guarded(Sample(context, prompt, i, null, CancellationToken.None, cancellationToken)))).ConfigureAwait(false);
        var all = warm.Where(w => w.Candidate is not null).Select(w => w.Candidate!).ToList();
        var threshold = AdaptiveSampling.Percentile([.. all.Select(c => c.Confidence?.LowestGroup ?? double.NegativeInfinity)], 100 * (1 - Spec.Keep));
        var voters = all.Where(c => Passes(c, threshold)).ToList();
        var stopped = new List<Candidate>();
        string? reason = warm.Any(w => w.Budget) ? "budget" : null;
        var launched = Spec.Warmup;
        double share = 0;
        if (reason is null && Consensus(voters) >= Spec.Consensus)
        {
            reason = "consensus";
        }

        using var stop = new CancellationTokenSource();
        while (reason is null && launched < Spec.Samples)
        {
            var size = Math.Min(Spec.Wave, Spec.Samples - launched);
            var wave = Enumerable.Range(launched, size)
                .Select(i => AdaptiveVote.Guarded(Sample(context, prompt, i, Monitor(threshold), stop.Token, cancellationToken)))
                .ToArray();
            launched += size;
            foreach (var pending in wave)
            {
                var (candidate, refused) = await pending.ConfigureAwait(false);
                if (candidate is null)
                {
                    reason ??= refused ? "budget" : null;
                    await stop.CancelAsync().ConfigureAwait(false);
                    continue;
                }

                if (reason is not null || candidate.Stopped is not null)
                {
                    stopped.Add(candidate.Stopped is null ? candidate with { Stopped = "after_stop" } : candidate);
                    continue;
                }

                all.Add(candidate);
                if (Passes(candidate, threshold))
                {
                    voters.Add(candidate);
                }

                share = Consensus(voters);
                if (share >= Spec.Consensus)
                {
                    reason = "consensus";
                    await stop.CancelAsync().ConfigureAwait(false);
                }
            }
        }

        AdaptiveSampling.ReportStop(context, "deepconf_online", reason ?? "max_samples", all.Count, launched, stopped, share, threshold);
        return Decide(context, all, [.. voters]);
    }

    private Task<Candidate> Sample(TechniqueContext context, string prompt, int i, Func<Compose.Models.TokenLogProbability, bool>? keepGoing, CancellationToken stop, CancellationToken cancellationToken) =>
        AdaptiveSampling.SampleAsync(context, prompt, i, Spec.TopLogProbs, Spec.Window, keepGoing, stop, cancellationToken);

    /// <summary>A fresh monitor per sample: false once the running group confidence is below the threshold.</summary>
    private Func<Compose.Models.TokenLogProbability, bool> Monitor(double threshold)
    {
        var running = new RunningGroupConfidence(Spec.Window);
        return token => running.Add(token) is not { } group || group >= threshold;
    }

    private static bool Passes(Candidate candidate, double threshold) => (candidate.Confidence?.LowestGroup ?? double.NegativeInfinity) >= threshold;

    private double Consensus(List<Candidate> voters) =>
        voters.Count == 0 ? 0 : AdaptiveSampling.WeightedVote([.. voters], _extract, c => AdaptiveSampling.Weight(c.Confidence, Spec.Measure)).Share;

    private ImmutableArray<Candidate> Decide(TechniqueContext context, List<Candidate> all, ImmutableArray<Candidate> voters)
    {
        if (all.Count == 0)
        {
            throw new BudgetExceededException("budget exhausted before any sample of deepconf completed");
        }

        var count = AdaptiveSampling.WeightedVote(voters.IsEmpty ? [.. all] : voters, _extract, c => AdaptiveSampling.Weight(c.Confidence, Spec.Measure));
        context.Report(new VoteCounted(context.NodeId, count.Answer, count.Share, count.Tally, all.Count - count.Tally.Sum(t => t.Votes)) { QuestionId = context.Question.Id });
        return count.Answer is null ? [.. all] : count.Winners;
    }
}
