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
    public void Pass_at_k_is_the_unbiased_estimator()
    {
        Assert.Equal(0.25, PassAtK.Estimate(4, 1, 1), 12);
        Assert.Equal(1 - (3.0 / 6), PassAtK.Estimate(4, 1, 2), 12); // 1 - C(3,2)/C(4,2)
        Assert.Equal(1, PassAtK.Estimate(4, 3, 2), 12);
        Assert.Equal(0, PassAtK.Estimate(64, 0, 64), 12);
        Assert.Equal(2 / 64.0, PassAtK.Estimate(64, 2, 1), 12);
        Assert.Equal(1 - Binomial(60, 16) / Binomial(64, 16), PassAtK.Estimate(64, 4, 16), 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(4, 1, 5));

        var curve = PassAtK.Curve([(6, 0), (6, 3), (7, 7)]);
        Assert.Equal([1, 2, 4, 6], curve.Select(c => c.K));
        Assert.Equal((0 + 0.5 + 1) / 3, curve[0].Value, 12);
        Assert.Equal(2 / 3.0, curve[^1].Value, 12);
        Assert.Empty(PassAtK.Curve([(3, 1), (0, 0)]));
    }

    private static double Binomial(int n, int k) => Enumerable.Range(1, k).Aggregate(1.0, (acc, i) => acc * (n - k + i) / i);

    [Fact]
    public void Percentiles_by_nearest_rank()
    {
        var p = Percentiles.Of(Enumerable.Range(1, 100).Select(i => (double)i));
        Assert.Equal(50, p.P50);
        Assert.Equal(90, p.P90);
        Assert.Equal(99, p.P99);
    }
}
