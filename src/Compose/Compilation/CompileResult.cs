using System.Collections.Immutable;
using Compose.Language;

namespace Compose.Compilation;

/// <summary>
/// What compiling gave. <see cref="Graph"/> is built whenever the layers allow it, also when there are
/// errors (so tools can show it); run it only when <see cref="Success"/>.
/// </summary>
public sealed record CompileResult(PipelineGraph? Graph, ImmutableArray<Diagnostic> Diagnostics)
{
    public bool Success => Graph is not null && !Diagnostics.Any(d => d.IsError);
}
