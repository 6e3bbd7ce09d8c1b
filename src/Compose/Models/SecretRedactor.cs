using System.Collections.Immutable;

namespace Compose.Models;

/// <summary>
/// The secret values this process knows about (API keys read from environment variables), and a way to
/// scrub them from any text before it is logged, traced or shown. Providers register keys as they read them;
/// trace and log writers call <see cref="Redact(string)"/>.
/// </summary>
public static class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>Values shorter than this are not treated as secrets (they would mask ordinary words).</summary>
    public const int MinimumLength = 6;

    private static ImmutableHashSet<string> s_secrets = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Registers a secret value; null, blank or too short values are ignored.</summary>
    public static void Register(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < MinimumLength)
        {
            return;
        }

        ImmutableInterlocked.Update(ref s_secrets, static (set, value) => set.Add(value), secret);
    }

    /// <summary>True when <paramref name="text"/> contains a registered secret.</summary>
    public static bool ContainsSecret(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        foreach (var secret in s_secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The text with every registered secret replaced by <see cref="Mask"/>.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var secrets = s_secrets;
        if (secrets.IsEmpty || text.Length == 0)
        {
            return text;
        }

        // Longest first, so a secret that contains another is masked whole.
        foreach (var secret in secrets.OrderByDescending(s => s.Length))
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
