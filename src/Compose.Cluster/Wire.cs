using System.Collections.Immutable;

namespace Compose.Cluster;

/// <summary>One model call crossing the cluster: the model by its id (<see cref="ModelIdentity"/>), the messages and options as JSON (<see cref="ChatWire"/>).</summary>
[GenerateSerializer, Immutable, Alias("compose.ModelCall")]
public sealed record ModelCall
{
    [Id(0)] public required string ModelId { get; init; }

    [Id(1)] public required string Messages { get; init; }

    [Id(2)] public string? Options { get; init; }
}

/// <summary>A model call's outcome: the response as JSON, or the model's failure (kept as a model failure on the caller's side).</summary>
[GenerateSerializer, Immutable, Alias("compose.ModelReply")]
public sealed record ModelReplyWire
{
    [Id(0)] public string? Response { get; init; }

    [Id(1)] public string? Error { get; init; }

    [Id(2)] public int? Status { get; init; }

    [Id(3)] public int Attempts { get; init; }

    /// <summary>The silo that answered (its address), for placement checks and statistics.</summary>
    [Id(4)] public string Silo { get; init; } = "";
}

/// <summary>
/// What a silo needs to answer items of one evaluation: the pipeline and models file as text with the paths they
/// have on the coordinator (relative paths inside them resolve there, so every machine sees the same files at the
/// same paths), the scorer and the run seed. <see cref="Id"/> names the job: equal jobs share a built pipeline.
/// </summary>
[GenerateSerializer, Immutable, Alias("compose.EvalJob")]
public sealed record EvalJob
{
    [Id(0)] public required string Id { get; init; }

    [Id(1)] public required string PipelineText { get; init; }

    [Id(2)] public required string PipelinePath { get; init; }

    [Id(3)] public string? ModelsText { get; init; }

    [Id(4)] public string? ModelsPath { get; init; }

    [Id(5)] public string Scorer { get; init; } = "math";

    [Id(6)] public string? Baseline { get; init; }

    [Id(7)] public double ScorerTimeoutSeconds { get; init; } = 60;

    [Id(8)] public long Seed { get; init; }

    /// <summary>Folders outside a pipeline's own that its files may name (<c>--allow-path</c>).</summary>
    [Id(9)] public ImmutableArray<string> AllowedPaths { get; init; } = [];

    [Id(10)] public long? MaxFileBytes { get; init; }

    [Id(11)] public long? MaxDataBytes { get; init; }
}

/// <summary>One item of an evaluation to answer and score on a silo.</summary>
[GenerateSerializer, Immutable, Alias("compose.ItemWork")]
public sealed record ItemWork
{
    [Id(0)] public required EvalJob Job { get; init; }

    /// <summary>The item as a benchmark line (<see cref="Compose.Evaluation.Benchmarks.BenchmarkItem.ToJsonLine"/>).</summary>
    [Id(1)] public required string Item { get; init; }
}

/// <summary>An item's result as a results-file line, and the silo that produced it.</summary>
[GenerateSerializer, Immutable, Alias("compose.ItemOutcome")]
public sealed record ItemOutcome
{
    [Id(0)] public string Result { get; init; } = "";

    [Id(1)] public required string Silo { get; init; }

    /// <summary>Set when the silo cannot build the job's pipeline at all (every item would fail the same way): the evaluation stops with it.</summary>
    [Id(2)] public string? JobError { get; init; }

    /// <summary>Model calls the item's pipeline requested, answers from the shared cache included (its result's calls are those paid).</summary>
    [Id(3)] public long Requested { get; init; }
}

/// <summary>What one silo offers: its address and name, the models it hosts (by id, with their capabilities) and its per-model concurrency.</summary>
[GenerateSerializer, Immutable, Alias("compose.SiloView")]
public sealed record SiloView
{
    [Id(0)] public required string Address { get; init; }

    [Id(1)] public required string Name { get; init; }

    [Id(2)] public ImmutableDictionary<string, int> Models { get; init; } = ImmutableDictionary<string, int>.Empty;

    [Id(3)] public int ModelConcurrency { get; init; }

    /// <summary>Model calls the silo has run since it started.</summary>
    [Id(4)] public long Calls { get; init; }

    /// <summary>Items the silo has answered since it started.</summary>
    [Id(5)] public long Items { get; init; }
}
