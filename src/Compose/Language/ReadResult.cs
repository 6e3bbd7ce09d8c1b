using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// What reading a pipeline file gave: the spec (best effort when there were errors, null when the
/// file's structure did not allow one) and every diagnostic found, in file order.
/// </summary>
public sealed record ReadResult(PipelineSpec? Spec, ImmutableArray<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary>True when the reader found no error inside <c>layers:</c>, so composition checks on the spec make sense.</summary>
    internal bool LayersIntact { get; init; } = true;
}
