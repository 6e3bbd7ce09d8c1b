using Compose.Search.Space;
using Compose.Search.Trials;

namespace Compose.Search.Optimizers;

/// <summary>The next trial to run.</summary>
public sealed record Proposal(Architecture Architecture, int Fidelity);

/// <summary>What an optimizer knows: the feasible architectures, the highest fidelity, the trial budget and the study seed.</summary>
public sealed record OptimizerContext(ArchitecturePool Pool, int FullFidelity, int Trials, long Seed)
{
    public FeatureEncoder Encoder { get; } = new(Pool.Space);

    /// <summary>A random source determined by the study seed and the trial number: proposals repeat exactly on resume.</summary>
    public Random RandomFor(int trial) => new(unchecked((int)((Seed * 1_000_003) ^ (trial * 7_919L) ^ 0x5bd1e995)));
}

/// <summary>
/// Proposes trials. <see cref="Next"/> must be a pure function of the context and the finished trials
/// (in order), so that a resumed study proposes exactly the trials an uninterrupted one would.
/// </summary>
public interface IOptimizer
{
    string Name { get; }

    /// <summary>The next trial after <paramref name="history"/>, or null when the study is complete.</summary>
    Proposal? Next(OptimizerContext context, IReadOnlyList<TrialRecord> history);
}
