namespace Compose.Evaluation.Running;

/// <summary>Options of one evaluation run.</summary>
public sealed record EvalOptions
{
    /// <summary>The run seed of every item (each call's seed derives from it and the question).</summary>
    public long Seed { get; init; }

    /// <summary>Evaluate only the first <c>Limit</c> items.</summary>
    public int? Limit { get; init; }

    /// <summary>Items answered at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>The per-item results file (JSONL). When it exists with the same fingerprint, items in it are not run again.</summary>
    public string? ResultsPath { get; init; }

    /// <summary>Identifies what is evaluated (pipeline, models, scorer, seed): a results file with another fingerprint is not resumed.</summary>
    public string Fingerprint { get; init; } = "";

    /// <summary>Bounds on reading the benchmark (a regular file, its size and line length capped).</summary>
    public Compose.IO.FileAccessPolicy Files { get; init; } = Compose.IO.FileAccessPolicy.Default;

    /// <summary>Reports each finished item.</summary>
    public IProgress<EvalProgress>? Progress { get; init; }
}

/// <summary>Progress of a run: items done (resumed ones included), correct so far, and the total when known.</summary>
public readonly record struct EvalProgress(int Done, int Correct, int? Total);
