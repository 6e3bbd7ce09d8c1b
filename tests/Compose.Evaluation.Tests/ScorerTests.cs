using System.Collections.Immutable;
using Compose.Evaluation.Benchmarks;
using Compose.Evaluation.Scoring;

namespace Compose.Evaluation.Tests;

public sealed class ScorerTests
{
    private static BenchmarkItem Item(string reference, string? metadata = null) =>
        new("1", "q", [], [reference], metadata is null ? null : System.Text.Json.JsonDocument.Parse(metadata).RootElement.Clone());

    [Theory]
    [InlineData("So the answer is \\boxed{18}.", "#### 18", true)]
    [InlineData("She makes 9 * 2 = $18\nA: 18", "Janet sells 9 eggs.\n#### 18", true)]
    [InlineData("The answer is $1,200.00.", "1200", true)]
    [InlineData("#### 70,000", "A: 70000", true)]
    [InlineData("The answer is 3/4", "0.75", true)]
    [InlineData("\\boxed{\\frac{3}{4}}", "0.75", true)]
    [InlineData("The answer is 18 dollars.", "18", true)]
    [InlineData("A: 26", "#### 18", false)]
    [InlineData("I am not sure.", "18", false)]
    public async Task Math_final_answers_are_read_and_normalised(string answer, string reference, bool correct)
    {
        var score = await new MathAnswerScorer().ScoreAsync(Item(reference), answer);
        Assert.Equal(correct, score.Correct);
    }

    [Fact]
    public async Task Exact_number_regex_and_choice_scorers()
    {
        Assert.True((await new ExactMatchScorer().ScoreAsync(Item("Paris"), "  Paris ")).Correct);
        Assert.False((await new ExactMatchScorer().ScoreAsync(Item("Paris"), "paris")).Correct);
        Assert.True((await new ExactMatchScorer(ignoreCase: true).ScoreAsync(Item("Paris"), "paris")).Correct);
        Assert.True((await new NumberScorer().ScoreAsync(Item("42"), "so 42.0 in total")).Correct);
        Assert.False((await new NumberScorer().ScoreAsync(Item("42"), "41")).Correct);
        Assert.True((await new RegexScorer(new("Final: (\\w+)")).ScoreAsync(Item("blue"), "Final: Blue")).Correct);
        Assert.True((await new MultipleChoiceScorer().ScoreAsync(Item("C"), "Reasoning...\nThe answer is (C).")).Correct);
        Assert.True((await new MultipleChoiceScorer().ScoreAsync(Item("Lyon", """{"choices": ["Paris", "Lyon"]}"""), "Answer: B")).Correct);
        Assert.False((await new MultipleChoiceScorer().ScoreAsync(Item("A"), "\\boxed{B}")).Correct);
    }

    [SkippableFact]
    public async Task Program_check_passes_on_exit_code_zero()
    {
        Skip.IfNot(File.Exists("/bin/sh"), "needs /bin/sh");
        var scorer = new ProgramScorer("/bin/sh", ["-c", "read a; [ \"$a\" = \"$(cat \"$COMPOSE_REFERENCE_FILE\")\" ]"], TimeSpan.FromSeconds(10));
        Assert.True((await scorer.ScoreAsync(Item("ok"), "ok\n")).Correct);
        Assert.False((await scorer.ScoreAsync(Item("ok"), "no\n")).Correct);
    }

    [Fact]
    public void Judge_ratings_are_read()
    {
        Assert.Equal(8, JudgeScorer.Rating("Good.\nScore: 8"));
        Assert.Null(JudgeScorer.Rating("no number"));
    }

    [Fact]
    public void Unknown_scorer_is_a_diagnostic()
    {
        var ex = Assert.Throws<Compose.Language.DiagnosticException>(() => ScorerFactory.Create("nope", _ => throw new InvalidOperationException()));
        Assert.Equal(EvaluationDiagnosticCodes.UnknownScorer, ex.Diagnostics[0].Code);
        _ = ImmutableArray<string>.Empty;
    }
}
