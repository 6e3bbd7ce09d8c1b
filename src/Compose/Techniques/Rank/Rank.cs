using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// A model orders the candidates and the best <c>keep</c> continue, best first.
/// <list type="bullet">
/// <item>listwise: one call sees all candidates and answers a ranking such as <c>[2] &gt; [1] &gt; [3]</c>;
/// candidates it does not mention follow in input order.</item>
/// <item>pairwise: one call per pair (A/B order alternates to cancel position bias); ordered by wins.</item>
/// <item>pointwise: one call per candidate giving a 1–10 score; ordered by score.</item>
/// </list>
/// Ties keep input order. Each kept candidate's <see cref="Candidate.Score"/> is its rank score.
/// </summary>
public sealed partial class Rank(RankSpec spec) : ITechnique
{
    public RankSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var input = context.Input;
        if (input.Length <= 1)
        {
            return input;
        }

        var withCritiques = Spec.UseCritiques ?? input.Any(c => !c.Critiques.IsEmpty);
        var scores = Spec.Method switch
        {
            RankMethod.Pairwise => await Pairwise(context, input, withCritiques, Spec.Constrained, cancellationToken).ConfigureAwait(false),
            RankMethod.Pointwise => await Pointwise(context, input, withCritiques, Spec.Constrained, cancellationToken).ConfigureAwait(false),
            _ => await Listwise(context, input, withCritiques, Spec.Constrained, cancellationToken).ConfigureAwait(false),
        };

        return [.. Enumerable.Range(0, input.Length)
            .OrderByDescending(i => scores[i])
            .ThenBy(i => i)
            .Take(Spec.Keep)
            .Select(i => input[i] with { Score = scores[i] })];
    }

    /// <summary>Parses a listwise ranking into the order of 0-based indices, completing it with the unmentioned ones.</summary>
    public static int[] ParseRanking(string reply, int count)
    {
        var order = new List<int>(count);
        foreach (Match m in RankingId().Matches(reply))
        {
            if (int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                && id >= 1 && id <= count && !order.Contains(id - 1))
            {
                order.Add(id - 1);
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (!order.Contains(i))
            {
                order.Add(i);
            }
        }

        return [.. order];
    }

    /// <summary>Reads a pairwise verdict: the first standalone A or B; null when there is none.</summary>
    public static char? ParseVerdict(string reply)
    {
        var m = Verdict().Match(reply);
        return m.Success ? char.ToUpperInvariant(m.Groups[1].Value[0]) : null;
    }

    /// <summary>Reads a pointwise score: the first number, clamped to 1..10; 0 when there is none.</summary>
    public static double ParseScore(string reply)
    {
        var m = ScoreNumber().Match(reply);
        return m.Success && double.TryParse(m.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? Math.Clamp(v, 1, 10)
            : 0;
    }

    /// <summary>A pairwise verdict, constrained.</summary>
    internal static Compose.Models.OutputConstraint AOrB { get; } = Compose.Models.OutputConstraint.OneOf("A", "B");

    /// <summary>A pointwise score, constrained.</summary>
    internal static Compose.Models.OutputConstraint OneToTen { get; } =
        Compose.Models.OutputConstraint.OneOf(Enumerable.Range(1, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A listwise ranking of <paramref name="count"/> candidates, constrained: <c>[i] &gt; [j] &gt; ...</c>, each i one of theirs, all of them.</summary>
    internal static Compose.Models.OutputConstraint RankingOf(int count)
    {
        var id = $"\\[({string.Join('|', Enumerable.Range(1, count).Select(i => i.ToString(CultureInfo.InvariantCulture)))})\\]";
        return Compose.Models.OutputConstraint.Regex(count == 1 ? id : $"{id}( > {id}){{{(count - 1).ToString(CultureInfo.InvariantCulture)}}}");
    }

    private static async Task<double[]> Listwise(TechniqueContext context, ImmutableArray<Candidate> input, bool withCritiques, bool constrained, CancellationToken ct)
    {
        var data = context.NewPromptModel();
        data["candidates"] = CandidatePrompts.Candidates(input, withCritiques);
        var prompt = context.Render("rank_listwise", data);
        var reply = constrained
            ? await context.CallAsync(context.Model, "rank", 0, prompt, new CallShape { Constraint = RankingOf(input.Length) }, ct).ConfigureAwait(false)
            : await context.CallAsync(context.Model, "rank", 0, prompt, ct).ConfigureAwait(false);
        var order = ParseRanking(reply.Text, input.Length);
        var scores = new double[input.Length];
        for (var position = 0; position < order.Length; position++)
        {
            scores[order[position]] = input.Length - position;
        }

        return scores;
    }

    private static async Task<double[]> Pairwise(TechniqueContext context, ImmutableArray<Candidate> input, bool withCritiques, bool constrained, CancellationToken ct)
    {
        var pairs = new List<(int A, int B)>();
        for (var i = 0; i < input.Length; i++)
        {
            for (var j = i + 1; j < input.Length; j++)
            {
                pairs.Add(pairs.Count % 2 == 0 ? (i, j) : (j, i));
            }
        }

        var winners = await Concurrent.All(pairs.Count, async p =>
        {
            var (a, b) = pairs[p];
            var data = context.NewPromptModel();
            data["a"] = CandidatePrompts.Candidate(input[a], 1, withCritiques);
            data["b"] = CandidatePrompts.Candidate(input[b], 2, withCritiques);
            var prompt = context.Render("rank_pairwise", data);
            var reply = constrained
                ? await context.CallAsync(context.Model, "rank", p, prompt, new CallShape { Constraint = AOrB }, ct).ConfigureAwait(false)
                : await context.CallAsync(context.Model, "rank", p, prompt, ct).ConfigureAwait(false);
            return ParseVerdict(reply.Text) switch
            {
                'A' => a,
                'B' => b,
                _ => -1,
            };
        }).ConfigureAwait(false);

        var scores = new double[input.Length];
        foreach (var w in winners.Where(w => w >= 0))
        {
            scores[w]++;
        }

        return scores;
    }

    private static async Task<double[]> Pointwise(TechniqueContext context, ImmutableArray<Candidate> input, bool withCritiques, bool constrained, CancellationToken ct) =>
        await Concurrent.All(input.Length, async i =>
        {
            var data = context.NewPromptModel();
            data["candidate"] = CandidatePrompts.Candidate(input[i], i + 1, withCritiques);
            var prompt = context.Render("rank_pointwise", data);
            var reply = constrained
                ? await context.CallAsync(context.Model, "rank", i, prompt, new CallShape { Constraint = OneToTen }, ct).ConfigureAwait(false)
                : await context.CallAsync(context.Model, "rank", i, prompt, ct).ConfigureAwait(false);
            return ParseScore(reply.Text);
        }).ConfigureAwait(false);

    [GeneratedRegex(@"\[\s*(\d+)\s*\]", RegexOptions.None, 1000)]
    private static partial Regex RankingId();

    [GeneratedRegex(@"\b([AB])\b", RegexOptions.None, 1000)]
    private static partial Regex Verdict();

    [GeneratedRegex(@"\d+(?:\.\d+)?", RegexOptions.None, 1000)]
    private static partial Regex ScoreNumber();
}
