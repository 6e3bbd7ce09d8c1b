using System.Security.Cryptography;
using System.Text;
using Compose.Evaluation.Caching;
using Compose.Language;

namespace Compose.Cluster;

/// <summary>
/// A model's identity across the cluster: the first 16 hex digits of the SHA-256 of its name, provider and every
/// option (<see cref="ResponseCache.ModelKey"/>), so a pipeline's model and a silo's hosted model with the same
/// definition are the same model.
/// </summary>
public static class ModelIdentity
{
    public static string Of(ModelSpec model) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ResponseCache.ModelKey(model))))[..16];
}
