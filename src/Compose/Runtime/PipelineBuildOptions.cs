using Compose.Language;
using Microsoft.Extensions.AI;

namespace Compose.Runtime;

/// <summary>How a compiled pipeline builds its model stacks.</summary>
public sealed record PipelineBuildOptions
{
    public static PipelineBuildOptions Default { get; } = new();

    /// <summary>
    /// Adds outer middleware to a model's stack before Compose's own (for example a response cache:
    /// <c>(builder, model) =&gt; builder.UseDistributedCache(cache)</c>).
    /// </summary>
    public Action<ChatClientBuilder, ModelSpec>? ConfigureModel { get; init; }

    /// <summary>Emit OpenTelemetry activities for model calls (Microsoft.Extensions.AI's <c>UseOpenTelemetry</c>).</summary>
    public bool Telemetry { get; init; } = true;
}
