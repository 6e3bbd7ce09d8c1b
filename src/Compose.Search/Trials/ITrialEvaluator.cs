using Compose.Search.Space;

namespace Compose.Search.Trials;

/// <summary>Evaluates one architecture on the first <c>fidelity</c> items of a benchmark.</summary>
public interface ITrialEvaluator
{
    /// <summary>Number of items of the full benchmark (the highest fidelity).</summary>
    int FullFidelity { get; }

    Task<TrialOutcome> EvaluateAsync(Architecture architecture, int fidelity, long seed, CancellationToken cancellationToken);
}
