using MathNet.Numerics.Distributions;

namespace Compose.Evaluation.Statistics;

/// <summary>
/// The exact McNemar test of two systems scored on the same items: of the discordant items (one right,
/// the other wrong), under the null hypothesis each way is equally likely; the two-sided p-value is the
/// binomial tail probability of a split at least as uneven as observed.
/// </summary>
public sealed record McNemarTest(int OnlyA, int OnlyB, int Both, int Neither, double PValue)
{
    public static McNemarTest Of(IEnumerable<(bool A, bool B)> pairs)
    {
        int onlyA = 0, onlyB = 0, both = 0, neither = 0;
        foreach (var (a, b) in pairs)
        {
            if (a && b)
            {
                both++;
            }
            else if (a)
            {
                onlyA++;
            }
            else if (b)
            {
                onlyB++;
            }
            else
            {
                neither++;
            }
        }

        var n = onlyA + onlyB;
        var p = n == 0 ? 1.0 : Math.Min(1.0, 2 * Binomial.CDF(0.5, n, Math.Min(onlyA, onlyB)));
        return new McNemarTest(onlyA, onlyB, both, neither, p);
    }
}
