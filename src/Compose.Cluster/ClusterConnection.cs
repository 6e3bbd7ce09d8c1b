using System.Text.RegularExpressions;
using Compose.Language;

namespace Compose.Cluster;

/// <summary>
/// How to reach a cluster: its Redis (a StackExchange.Redis configuration string, <c>HOST:PORT[,password=...]</c>),
/// which holds the membership table, the response cache and studies, and the cluster's id (several clusters may
/// share one Redis).
/// </summary>
public sealed partial record ClusterConnection(string Redis, string ClusterId = "compose")
{
    /// <summary>A connection with its values checked; a diagnostic (CMP964) when one is unusable.</summary>
    public static ClusterConnection Parse(string redis, string clusterId)
    {
        if (string.IsNullOrWhiteSpace(redis))
        {
            throw Bad("--cluster", "the cluster's Redis is empty", "Give HOST:PORT of the Redis server the silos were started with (for example 127.0.0.1:6379).");
        }

        if (!IdPattern().IsMatch(clusterId))
        {
            throw Bad("--cluster-id", $"'{clusterId}' is not a usable cluster id", "Use letters, digits, '-' and '_' (at most 64).");
        }

        return new ClusterConnection(redis.Trim(), clusterId);
    }

    /// <summary>The Redis key prefix of this cluster's own data (cache, studies).</summary>
    public string KeyPrefix => $"compose:{ClusterId}:";

    /// <summary>The connection string without a password, for messages and logs.</summary>
    public string Display => PasswordPattern().Replace(Redis, "password=***");

    private static DiagnosticException Bad(string option, string message, string hint) =>
        new([Diagnostic.Error(ClusterDiagnosticCodes.BadClusterOption, new SourceLocation(option, 0, 0), message, hint)]);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("password=[^,]*", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordPattern();
}
