using System.Collections.Immutable;

namespace Compose.Techniques;

/// <summary>How a particle filter draws the particles it continues.</summary>
public enum ResamplingMethod
{
    /// <summary>Each slot draws independently from the weights (the particle-filtering paper's choice).</summary>
    Multinomial,

    /// <summary>One uniform draw places evenly spaced points on the weights' cumulative sum (lower variance; entropic filtering's choice).</summary>
    Systematic,
}

/// <summary>
/// The arithmetic of particle filtering, in one place so that tests can compute a trace by hand: weights are
/// logit(reward) (rewards clipped to [<see cref="Epsilon"/>, 1 - <see cref="Epsilon"/>]); probabilities the softmax of
/// weight / temperature; the effective sample size 1 / sum p²; entropic tempering raises the temperature to
/// max(1, (N / ESS)(1 - t / T)) while ESS / N &lt; 1/2 in the first half of the search (arXiv 2510.05825).
/// </summary>
public static class Resampling
{
    /// <summary>The clip that keeps logit(reward) finite: rewards of 0 and 1 weigh as ±13.8.</summary>
    public const double Epsilon = 1e-6;

    /// <summary>log r - log(1 - r) of <paramref name="reward"/> clipped to [ε, 1 - ε].</summary>
    public static double Logit(double reward)
    {
        var r = Math.Clamp(double.IsNaN(reward) ? 0.5 : reward, Epsilon, 1 - Epsilon);
        return Math.Log(r) - Math.Log(1 - r);
    }

    /// <summary>softmax(weights / temperature), computed stably (the largest weight subtracted first).</summary>
    public static ImmutableArray<double> Softmax(IReadOnlyList<double> weights, double temperature)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count == 0)
        {
            return [];
        }

        var t = temperature > 0 ? temperature : 1;
        var max = weights.Max();
        var e = weights.Select(w => Math.Exp((w - max) / t)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(x => x / sum)];
    }

    /// <summary>1 / sum p²: how many particles the probabilities are worth (N when uniform, 1 when one holds it all).</summary>
    public static double EffectiveSampleSize(IReadOnlyList<double> probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var s = probabilities.Sum(p => p * p);
        return s > 0 ? 1 / s : 0;
    }

    /// <summary>
    /// The entropic tempering temperature at step <paramref name="step"/> of <paramref name="maxSteps"/> for
    /// <paramref name="particles"/> particles whose untempered probabilities have effective sample size <paramref name="ess"/>:
    /// max(1, (N / ESS)(1 - t / T)) when ESS / N &lt; 1/2 and t / T &lt; 1/2, else 1.
    /// </summary>
    public static double EntropicTemperature(double ess, int particles, int step, int maxSteps)
    {
        var progress = maxSteps > 0 ? (double)step / maxSteps : 1;
        return ess > 0 && ess / particles < 0.5 && progress < 0.5 ? Math.Max(1, particles / ess * (1 - progress)) : 1;
    }

    /// <summary>The index each uniform draw in [0, 1) picks from <paramref name="probabilities"/> (inverse of the cumulative sum).</summary>
    public static ImmutableArray<int> Pick(IReadOnlyList<double> probabilities, IReadOnlyList<double> draws)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(draws);
        var chosen = ImmutableArray.CreateBuilder<int>(draws.Count);
        foreach (var u in draws)
        {
            var cumulative = 0.0;
            var pick = probabilities.Count - 1;
            for (var i = 0; i < probabilities.Count; i++)
            {
                cumulative += probabilities[i];
                if (u < cumulative)
                {
                    pick = i;
                    break;
                }
            }

            chosen.Add(pick);
        }

        return chosen.MoveToImmutable();
    }

    /// <summary>
    /// The draws of <paramref name="count"/> slots: <paramref name="count"/> independent uniforms (multinomial), or the
    /// points (u + j) / count for one uniform u (systematic).
    /// </summary>
    public static ImmutableArray<double> Draws(ResamplingMethod method, int count, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (method == ResamplingMethod.Systematic)
        {
            var u = random.NextDouble();
            return [.. Enumerable.Range(0, count).Select(j => (u + j) / count)];
        }

        return [.. Enumerable.Range(0, count).Select(_ => random.NextDouble())];
    }
}
