using Compose.Runtime;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Compose.Cli;

/// <summary>
/// Exports Compose's activities (run, layer, technique, and every model call with its token usage)
/// over OTLP when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable is set; otherwise nothing
/// is collected. The exporter reads the other standard OTEL_* variables (protocol, headers).
/// </summary>
internal static class Telemetry
{
    public static TracerProvider? Start(CliConsole console)
    {
        if (string.IsNullOrWhiteSpace(console.Environment("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            return null;
        }

        return Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("compose"))
            .AddSource(ComposeTelemetry.SourceName)
            .AddOtlpExporter()
            .Build();
    }
}
