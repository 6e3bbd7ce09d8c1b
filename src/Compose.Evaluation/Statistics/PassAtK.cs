using System.Collections.Immutable;

namespace Compose.Evaluation.Statistics;

/// <summary>
/// Coverage at k samples (pass@k): the chance that k samples drawn without replacement from an item's n
/// include a correct one, averaged over items. Uses the unbiased estimator 1 - C(n-c, k) / C(n, k)
/// (Chen et al. 2021), computed as a product so it never overflows.
/// </summary>
public static class PassAtK
{
    /// <summary>The estimate for one item with <paramref name="n"/> samples of which <paramref name="correct"/> are right.</summary>
    public static double Estimate(int n, int correct, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(correct);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(correct, n);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);
        if (n - correct < k)
        {
            return 1;
        }

        var miss = 1.0;
        for (var i = n - correct + 1; i <= n; i++)
        {
            miss *= 1 - ((double)k / i);
        }

        return 1 - miss;
    }

    /// <summary>
    /// pass@k for k = 1, 2, 4, ... up to the smallest sample count among the items (and that count itself
    /// when it is not a power of two); empty when any item has no samples.
    /// </summary>
    public static ImmutableArray<(int K, double Value)> Curve(IReadOnlyCollection<(int Samples, int Correct)> items)
    {
        if (items.Count == 0 || items.Any(i => i.Samples < 1))
        {
            return [];
        }

        var n = items.Min(i => i.Samples);
        var ks = new List<int>();
        for (var k = 1; k <= n; k *= 2)
        {
            ks.Add(k);
        }

        if (ks[^1] != n)
        {
            ks.Add(n);
        }

        return [.. ks.Select(k => (k, items.Average(i => Estimate(i.Samples, i.Correct, k))))];
    }
}
