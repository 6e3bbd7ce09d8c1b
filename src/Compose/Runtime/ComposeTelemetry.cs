using System.Diagnostics;

namespace Compose.Runtime;

/// <summary>The OpenTelemetry source of Compose: activities per run, layer, technique and model call.</summary>
public static class ComposeTelemetry
{
    public const string SourceName = "Compose";

    public static ActivitySource Source { get; } = new(SourceName, typeof(ComposeTelemetry).Assembly.GetName().Version?.ToString());
}
