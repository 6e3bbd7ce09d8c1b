using System.Security.Cryptography;
using System.Text;
using Compose.Search.Space;
using MathNet.Numerics.Distributions;

namespace Compose.Search.Trials;

/// <summary>
/// A simulated benchmark: every architecture has a known true accuracy (<paramref name="accuracy"/>); an
/// evaluation on <c>n</c> items observes Binomial(n, p) correct answers, drawn from a random source
/// determined by (noise seed, architecture, fidelity). Calls are the architecture's static call bound.
/// For measuring optimizers without models.
/// </summary>
public sealed class SimulatedEvaluator(Func<Architecture, double> accuracy, Func<Architecture, int> calls, int items, long noiseSeed) : ITrialEvaluator
{
    public int FullFidelity => items;

    public Func<Architecture, double> TrueAccuracy => accuracy;

    public Task<TrialOutcome> EvaluateAsync(Architecture architecture, int fidelity, long seed, CancellationToken cancellationToken)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{noiseSeed}|{architecture.Key}|{fidelity}"));
        var rng = new Random(BitConverter.ToInt32(hash, 0));
        var p = Math.Clamp(accuracy(architecture), 0, 1);
        var correct = Binomial.Sample(rng, p, fidelity);
        var c = (long)calls(architecture) * fidelity;
        return Task.FromResult(new TrialOutcome(correct, fidelity, c, 0, 0, c));
    }
}
