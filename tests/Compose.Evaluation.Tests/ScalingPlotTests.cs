using Compose.Evaluation.Running;

namespace Compose.Evaluation.Tests;

public sealed class ScalingPlotTests
{
    [Theory]
    [InlineData("vote-16", "vote")]
    [InlineData("particles-entropic-32", "particles-entropic")]
    [InlineData("arith-vote", "arith-vote")]
    [InlineData("beam-2x4", "beam-2x4")]
    [InlineData("7", "7")]
    public void A_method_is_the_name_without_its_trailing_count(string pipeline, string method) =>
        Assert.Equal(method, ScalingPlot.MethodOf(pipeline));

    [Fact]
    public void Series_average_generated_tokens_per_item_and_escape_names()
    {
        static ItemResult Item(string id, bool correct, long output) => new() { Id = id, Correct = correct, OutputTokens = output, InputTokens = 1000 };
        var reports = new[]
        {
            new EvalReport("a<b>-4", [Item("1", true, 40), Item("2", false, 60)], 0),
            new EvalReport("a<b>-1", [Item("1", false, 10), Item("2", false, 20)], 0),
        };
        var (method, points) = Assert.Single(ScalingPlot.Series(reports));
        Assert.Equal("a<b>", method);
        Assert.Equal([15.0, 50.0], points.Select(p => p.GeneratedTokens)); // output tokens only, sorted
        Assert.Equal([0.0, 0.5], points.Select(p => p.Accuracy));
        var svg = ScalingPlot.Svg(reports, "t & u");
        Assert.Contains("a&lt;b&gt;", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("a<b>", svg, StringComparison.Ordinal);
        _ = System.Xml.Linq.XDocument.Parse(svg); // well-formed
    }
}
