using System.Security.Cryptography;
using System.Text;

namespace Compose.Serving;

/// <summary>Checks <c>Authorization: Bearer KEY</c> against the configured key in constant time (the key is never logged).</summary>
internal sealed class ApiKeyCheck(string key)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public bool Accepts(string? authorization)
    {
        const string Scheme = "Bearer ";
        var presented = authorization is not null && authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            ? authorization[Scheme.Length..].Trim()
            : "";

        // Hashing first gives equal lengths, so the comparison time says nothing about the key.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected) && presented.Length > 0;
    }
}
