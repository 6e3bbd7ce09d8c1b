using Compose.Search.Space;

namespace Compose.Search.Trials;

/// <summary>Where a trial stands in the study store.</summary>
public enum TrialStatus
{
    /// <summary>Written before its evaluation starts; a trial still running after a crash is run again on resume.</summary>
    Running,

    /// <summary>Evaluated; never run again.</summary>
    Done,
}

/// <summary>One trial: an architecture evaluated on the first <see cref="Fidelity"/> items of the benchmark.</summary>
public sealed record TrialRecord(int Number, Architecture Architecture, int Fidelity, long Seed)
{
    public TrialStatus Status { get; init; } = TrialStatus.Running;

    public int Correct { get; init; }

    public int Items { get; init; }

    public double Accuracy => Items == 0 ? 0 : (double)Correct / Items;

    /// <summary>Model calls the pipeline made (cache hits included): the architecture's cost, independent of caching.</summary>
    public long Calls { get; init; }

    public long Tokens { get; init; }

    public decimal Cost { get; init; }

    /// <summary>Calls that reached a model (cache misses): what this trial actually paid.</summary>
    public long PaidCalls { get; init; }

    /// <summary>How many times the trial was started (more than 1 after a crash).</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>Calls per question.</summary>
    public double CallsPerItem => Items == 0 ? 0 : (double)Calls / Items;
}

/// <summary>What evaluating a trial produced.</summary>
public sealed record TrialOutcome(int Correct, int Items, long Calls, long Tokens, decimal Cost, long PaidCalls);
