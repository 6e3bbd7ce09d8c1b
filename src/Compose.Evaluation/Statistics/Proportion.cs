using MathNet.Numerics.Distributions;

namespace Compose.Evaluation.Statistics;

/// <summary>A share of successes with its Wilson score confidence interval.</summary>
public readonly record struct Proportion(int Successes, int Trials, double Low, double High)
{
    public double Value => Trials == 0 ? 0 : (double)Successes / Trials;

    /// <summary>The Wilson score interval at <paramref name="confidence"/> (0.95 by default).</summary>
    public static Proportion Wilson(int successes, int trials, double confidence = 0.95)
    {
        if (trials == 0)
        {
            return new Proportion(0, 0, 0, 1);
        }

        var z = Normal.InvCDF(0, 1, 1 - ((1 - confidence) / 2));
        var p = (double)successes / trials;
        var denominator = 1 + (z * z / trials);
        var centre = (p + (z * z / (2 * trials))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / trials) + (z * z / (4.0 * trials * trials))) / denominator;
        return new Proportion(successes, trials, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
