namespace Compose.Cluster;

/// <summary>Stable codes of cluster problems (docs/diagnostics.md, CMP96x).</summary>
public static class ClusterDiagnosticCodes
{
    /// <summary>The cluster's storage (Redis) cannot be reached or no silo answers.</summary>
    public const string ClusterUnreachable = "CMP960";

    /// <summary>A model a silo was told to host cannot be used there (no such provider, bad options, folder missing).</summary>
    public const string SiloModelUnusable = "CMP961";

    /// <summary>A silo cannot build the pipeline of a job (its files differ or are missing there).</summary>
    public const string JobUnbuildable = "CMP962";

    /// <summary>An item could not be answered on any silo after every attempt.</summary>
    public const string ItemUnplaceable = "CMP963";

    /// <summary>A cluster option is out of range (ports, concurrency, cluster id).</summary>
    public const string BadClusterOption = "CMP964";
}
