using Compose.Evaluation.Benchmarks;
using Compose.Evaluation.Scoring;
using Compose.Language;
using Compose.Techniques;

namespace Compose.Evaluation.Tests;

/// <summary>Verify's <c>check: { number: N }</c>, <c>--scorer number</c> and <c>--scorer math</c> agree on whether an answer is the number N.</summary>
public sealed class NumberAgreementTests
{
    public static TheoryData<string, string, bool> Cases() => new()
    {
        { "The answer is 0.75", "0.75", true },
        { "The answer is 3/4", "0.75", true },
        { "\\boxed{\\frac{3}{4}}", "0.75", true },
        { "A: 1 1/2", "1.5", true },
        { "A: -5", "-5", true },
        { "#### 1,234", "1234", true },
        { "The answer is $1,200.00.", "1200", true },
        { "A: 75%", "75", true },
        { "The answer is 18 dollars.", "18", true },
        { "A: 1e3", "1000", true },
        { "A: 0.3333333", "0.333333333", true },   // not whole: within the relative tolerance
        { "A: 2/3", "0.67", false },
        { "A: 1000001", "1000000", false },        // whole numbers are equal or not, whatever their size
        { "A: 41", "42", false },
        { "I am not sure.", "18", false },
        { "A: three quarters", "0.75", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Verify_and_the_number_scorers_agree(string answer, string number, bool same)
    {
        var verify = new AnswerCheck(new CheckSpec(CheckKind.Number, null, number, SourceLocation.None)).Passes(answer);
        var item = new BenchmarkItem("1", "q", [], [number], null);
        var scorer = (await new NumberScorer().ScoreAsync(item, answer)).Correct;
        var math = (await new MathAnswerScorer().ScoreAsync(item, answer)).Correct;

        Assert.Equal(same, verify);
        Assert.Equal(same, scorer);
        Assert.Equal(same, math);
    }

    [Theory]
    [InlineData("The answer is 3/4", true)]
    [InlineData("\\boxed{\\frac{3}{4}}", true)]
    [InlineData("The answer is 18 dollars.", true)]
    [InlineData("A: three quarters", false)]
    public void Verify_number_true_accepts_what_the_scorer_reads_as_a_number(string answer, bool isNumber)
    {
        Assert.Equal(isNumber, new AnswerCheck(new CheckSpec(CheckKind.Number, null, null, SourceLocation.None)).Passes(answer));
        Assert.Equal(isNumber, MathAnswer.ToNumber(MathAnswer.Extract(answer)) is not null);
    }
}
