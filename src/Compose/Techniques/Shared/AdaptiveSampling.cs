using System.Collections.Immutable;
using System.Globalization;
using Compose.Models;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// What the adaptive-sampling techniques share (<c>adaptive_vote</c>, <c>first_finish</c>, <c>deepconf</c>,
/// <c>best_of_majority</c>): the stopping rules, the confidence-weighted vote, and one streamed sample as a candidate.
/// Pure functions, or per-call state only: nothing is shared between concurrent nodes.
/// </summary>
public static class AdaptiveSampling
{
    /// <summary>
    /// Adaptive-Consistency's Beta rule: with <paramref name="top"/> and <paramref name="second"/> the votes of the two
    /// most frequent answers, the posterior probability that the leader is the majority answer,
    /// <c>P = 1 - I_0.5(top + 1, second + 1)</c> (I the regularised incomplete beta function).
    /// </summary>
    public static double BetaProbability(int top, int second)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfNegative(second);
        return 1 - MathNet.Numerics.SpecialFunctions.BetaRegularized(top + 1, second + 1, 0.5);
    }

    /// <summary>
    /// True when no remaining sample can change the winner: the leader has more votes than the runner-up would have
    /// if every one of <paramref name="remaining"/> samples voted for it.
    /// </summary>
    public static bool Settled(int top, int second, int remaining) => top > second + remaining;

    /// <summary>The votes of the most and second most frequent answers among <paramref name="answers"/> (nulls abstain).</summary>
    public static (int Top, int Second) TopTwo(IEnumerable<string?> answers)
    {
        var counts = answers.Where(a => a is not null).GroupBy(a => a, StringComparer.Ordinal).Select(g => g.Count()).OrderDescending().ToArray();
        return (counts.Length > 0 ? counts[0] : 0, counts.Length > 1 ? counts[1] : 0);
    }

    /// <summary>The weight a candidate's confidence gives its vote: the measure itself, or exp of it for log-probabilities and entropy.</summary>
    public static double Weight(ConfidenceSummary? confidence, ConfidenceMeasure measure) => confidence is null ? 0 : measure switch
    {
        ConfidenceMeasure.MeanLogProbability => Math.Exp(confidence.MeanLogProbability),
        ConfidenceMeasure.Entropy => Math.Exp(-confidence.MeanEntropy),
        _ => Math.Max(0, confidence.Value(measure)),
    };

    /// <summary>
    /// The most confident <paramref name="keep"/> share of <paramref name="candidates"/> by <paramref name="measure"/>
    /// (at least one; ties kept in input order), in input order; candidates without confidence come last.
    /// </summary>
    public static ImmutableArray<Candidate> MostConfident(ImmutableArray<Candidate> candidates, ConfidenceMeasure measure, double keep)
    {
        if (candidates.IsDefaultOrEmpty)
        {
            return [];
        }

        var count = Math.Max(1, (int)Math.Ceiling(candidates.Length * keep - 1e-9));
        var kept = candidates.Select((c, i) => (c, i))
            .OrderByDescending(x => x.c.Confidence?.Value(measure) ?? double.NegativeInfinity)
            .ThenBy(x => x.i)
            .Take(count)
            .Select(x => x.i)
            .ToHashSet();
        return [.. candidates.Where((_, i) => kept.Contains(i))];
    }

    /// <summary>
    /// The percentile (0..100, linear between ranks) of <paramref name="values"/>: DeepConf's online threshold is the
    /// <c>100 - 100·keep</c> percentile of the warm-up samples' confidences.
    /// </summary>
    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NegativeInfinity;
        }

        var sorted = values.Order().ToArray();
        var rank = Math.Clamp(percentile, 0, 100) / 100 * (sorted.Length - 1);
        var (lo, hi) = ((int)Math.Floor(rank), (int)Math.Ceiling(rank));
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
    }

    /// <summary>
    /// A vote in which each candidate counts <paramref name="weight"/>(candidate): the answer with the most weight wins
    /// (the earliest on a tie); its candidates are the winners, each scored with the answer's share of the weight.
    /// </summary>
    public static WeightedCount WeightedVote(ImmutableArray<Candidate> candidates, UserRegex? extract, Func<Candidate, double> weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var groups = new List<(string Answer, double Weight, List<Candidate> Members)>();
        foreach (var c in candidates)
        {
            if (AnswerExtractor.Extract(c.Text, extract) is not { } answer)
            {
                continue;
            }

            var w = weight(c);
            var at = groups.FindIndex(g => g.Answer == answer);
            if (at < 0)
            {
                groups.Add((answer, w, [c]));
            }
            else
            {
                groups[at] = (answer, groups[at].Weight + w, groups[at].Members);
                groups[at].Members.Add(c);
            }
        }

        if (groups.Count == 0)
        {
            return new WeightedCount([], null, 0, []);
        }

        var total = groups.Sum(g => g.Weight);
        var best = groups.Select((g, i) => (g, i)).OrderByDescending(x => x.g.Weight).ThenBy(x => x.i).First().g;
        var share = total > 0 ? best.Weight / total : (double)best.Members.Count / groups.Sum(g => g.Members.Count);
        return new WeightedCount([.. best.Members.Select(c => c with { Score = share })], best.Answer, share,
            [.. groups.Select(g => new AnswerVotes(g.Answer, g.Members.Count, [.. g.Members.Select(m => m.Id)]))]);
    }

    /// <summary>
    /// One sample of a technique's prompt as a candidate (<c>NODE.sI</c>), streamed so that it can be stopped part way
    /// (<see cref="TechniqueContext.SampleAsync"/>); with <paramref name="topLogProbs"/> its tokens' confidence is summarised
    /// over groups of <paramref name="window"/> tokens.
    /// </summary>
    public static async Task<Candidate> SampleAsync(
        TechniqueContext context,
        string prompt,
        int sample,
        int? topLogProbs,
        int window,
        Func<TokenLogProbability, bool>? keepGoing,
        CancellationToken stop,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = context.Model;
        var shape = new CallShape { WithHistory = true, TopLogProbs = topLogProbs };
        var reply = await context.SampleAsync(model, context.Node.Spec.Kind, sample, prompt, shape, keepGoing, stop, cancellationToken).ConfigureAwait(false);
        return new Candidate
        {
            Id = $"{context.NodeId}.s{sample}",
            Text = reply.Text,
            Producer = context.NodeId,
            Model = model,
            Sample = sample,
            Usage = reply.Usage,
            LogProbability = reply.LogProbability,
            Confidence = ConfidenceSummary.Of(reply.Tokens, window),
            Stopped = reply.Stopped,
        };
    }

    /// <summary>Reports why and when a technique stopped sampling, and what it cancelled, as a <c>sampling_stopped</c> event.</summary>
    public static void ReportStop(TechniqueContext context, string rule, string reason, int used, int launched, IEnumerable<Candidate> stopped, double? probability = null, double? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = ImmutableDictionary.CreateBuilder<string, string>();
        data["rule"] = rule;
        data["reason"] = reason;
        data["samples"] = used.ToString(CultureInfo.InvariantCulture);
        data["launched"] = launched.ToString(CultureInfo.InvariantCulture);
        data["stopped"] = string.Join(",", stopped.Select(c => $"{c.Id}:{c.Stopped}:{c.Usage.OutputTokens}"));
        if (probability is { } p)
        {
            data["probability"] = p.ToString("R", CultureInfo.InvariantCulture);
        }

        if (threshold is { } t)
        {
            data["threshold"] = t.ToString("R", CultureInfo.InvariantCulture);
        }

        context.Report(new TechniqueEvent(context.NodeId, "sampling_stopped", data.ToImmutable()) { QuestionId = context.Question.Id });
    }
}

/// <summary>The outcome of a weighted vote: the winners (scored with the winning share), the answer, its share of the weight, and the tally.</summary>
public sealed record WeightedCount(ImmutableArray<Candidate> Winners, string? Answer, double Share, ImmutableArray<AnswerVotes> Tally);
