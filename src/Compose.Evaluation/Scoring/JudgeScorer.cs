using System.Globalization;
using System.Text.RegularExpressions;
using Compose.Evaluation.Benchmarks;
using Compose.Runtime;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// An LLM judge that is itself a pipeline. Pointwise: the judge rates the answer from 1 to 10 against the
/// question and the reference; correct when the rating reaches <see cref="Threshold"/>. Pairwise (with a
/// baseline pipeline): the baseline answers the same question, the judge picks the better of the two
/// (the order alternates by item to cancel position bias); a win scores 1, a tie 0.5.
/// </summary>
public sealed partial class JudgeScorer(RunnablePipeline judge, RunnablePipeline? baseline = null, long seed = 0) : IScorer
{
    public int Threshold { get; init; } = 7;

    public string Name => baseline is null ? "judge" : "pairwise";

    public bool CallsNoModel => false;

    public async ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        if (answer is null)
        {
            return Score.Of(false, null);
        }

        if (baseline is null)
        {
            var prompt = $"Rate how well the response answers the question, from 1 (wrong) to 10 (fully correct).\n\nQuestion: {item.Text}\n\nReference answer: {item.Reference}\n\nResponse: {answer}\n\nEnd with a line 'Score: N'.";
            var verdict = await judge.RunAsync(Question.FromText(prompt, item.Id), new RunOptions { Seed = seed, QuestionId = item.Id }, cancellationToken).ConfigureAwait(false);
            if (verdict.Error is not null && verdict.Answer is null)
            {
                return Score.Failed($"the judge pipeline failed: {verdict.Error}");
            }

            var rating = Rating(verdict.Answer);
            return rating is null ? Score.Of(false, null) : new Score(rating >= Threshold, rating.Value / 10.0, rating.Value.ToString(CultureInfo.InvariantCulture));
        }

        var other = await baseline.RunAsync(item.ToQuestion(), new RunOptions { Seed = seed, QuestionId = item.Id }, cancellationToken).ConfigureAwait(false);
        if (other.Error is not null && other.Answer is null)
        {
            return Score.Failed($"the baseline pipeline failed: {other.Error}");
        }

        var swap = (SeedDerivation.Derive(seed, item.Id, "judge", 0) & 1) == 1;
        var (a, b) = swap ? (other.Answer ?? "", answer) : (answer, other.Answer ?? "");
        var ask = $"Which of the two responses answers the question better?\n\nQuestion: {item.Text}\n\nResponse A: {a}\n\nResponse B: {b}\n\nReply with A, B or tie.";
        var pick = await judge.RunAsync(Question.FromText(ask, item.Id), new RunOptions { Seed = seed, QuestionId = item.Id }, cancellationToken).ConfigureAwait(false);
        if (pick.Error is not null && pick.Answer is null)
        {
            return Score.Failed($"the judge pipeline failed: {pick.Error}");
        }

        var choice = Choice(pick.Answer);
        if (choice is null)
        {
            return new Score(false, 0.5, "tie");
        }

        var wins = swap ? choice == "B" : choice == "A";
        return new Score(wins, wins ? 1 : 0, wins ? "win" : "loss");
    }

    /// <summary>The rating in a judge's reply (<c>Score: N</c>, else the last integer 1–10).</summary>
    public static int? Rating(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var m = ScoreLine().Matches(text);
        var value = m.Count > 0 ? m[^1].Groups[1].Value : Integers().Matches(text).LastOrDefault()?.Value;
        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r is >= 1 and <= 10 ? r : null;
    }

    private static string? Choice(string? text)
    {
        var t = text?.Trim() ?? "";
        var m = ChoiceWord().Match(t);
        return m.Success ? m.Groups[1].Value.ToUpperInvariant() switch { "A" => "A", "B" => "B", _ => null } : null;
    }

    [GeneratedRegex(@"score\s*[:=]\s*(\d+)", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex ScoreLine();

    [GeneratedRegex(@"\b\d+\b", RegexOptions.None, 1000)]
    private static partial Regex Integers();

    [GeneratedRegex(@"\b(A|B|tie)\b", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex ChoiceWord();
}
