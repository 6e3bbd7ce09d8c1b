using System.Collections.Immutable;
using Compose.Language;

namespace Compose.Import;

/// <summary>
/// What an import produced: the pipeline file's text (null when an error stops it), every diagnostic against the
/// source file, and the model calls per question Archon makes and the pipeline's bound allows.
/// </summary>
public sealed record ImportResult(string? PipelineYaml, ImmutableArray<Diagnostic> Diagnostics)
{
    /// <summary>Model calls per question Archon makes for the architecture (at most, when a reply parses the first time).</summary>
    public int? ArchonCalls { get; init; }

    /// <summary>The static bound on calls per question of the written pipeline (what <c>compose graph</c> prints).</summary>
    public int? PipelineCalls { get; init; }

    public bool Success => PipelineYaml is not null && !Diagnostics.Any(d => d.IsError);
}
