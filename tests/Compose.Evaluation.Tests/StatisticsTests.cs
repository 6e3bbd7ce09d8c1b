using Compose.Evaluation.Statistics;

namespace Compose.Evaluation.Tests;

public sealed class StatisticsTests
{
    [Fact]
    public void Wilson_interval_matches_the_textbook_values()
    {
        var p = Proportion.Wilson(50, 100);
        Assert.Equal(0.4038, p.Low, 3);
        Assert.Equal(0.5962, p.High, 3);
        var zero = Proportion.Wilson(0, 10);
        Assert.Equal(0, zero.Low, 9);
        Assert.True(zero.High > 0.25 && zero.High < 0.35);
    }

    [Fact]
    public void McNemar_exact_p_values()
    {
        var balanced = McNemarTest.Of(Enumerable.Repeat((true, false), 5).Concat(Enumerable.Repeat((false, true), 5)));
        Assert.Equal(1.0, balanced.PValue, 6);
        var lopsided = McNemarTest.Of(Enumerable.Repeat((true, false), 10).Concat(Enumerable.Repeat((true, true), 50)));
        Assert.Equal(2 * Math.Pow(0.5, 10), lopsided.PValue, 9);
        Assert.Equal(50, lopsided.Both);
    }

    [Fact]
    public void Percentiles_by_nearest_rank()
    {
        var p = Percentiles.Of(Enumerable.Range(1, 100).Select(i => (double)i));
        Assert.Equal(50, p.P50);
        Assert.Equal(90, p.P90);
        Assert.Equal(99, p.P99);
    }
}
