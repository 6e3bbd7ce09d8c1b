using System.Collections.Immutable;
using Compose.Language;

namespace Compose.SemanticKernel;

/// <summary>A pipeline file could not be built; <see cref="Diagnostics"/> says why, each problem at its location.</summary>
public sealed class ComposePipelineException(string path, ImmutableArray<Diagnostic> diagnostics)
    : Exception($"pipeline '{path}' cannot be built:{Environment.NewLine}{string.Join(Environment.NewLine, diagnostics.Where(d => d.IsError))}")
{
    public string PipelinePath { get; } = path;

    public ImmutableArray<Diagnostic> Diagnostics { get; } = diagnostics;
}
