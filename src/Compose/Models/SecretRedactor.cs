using System.Collections.Frozen;
using System.Text;

namespace Compose.Models;

/// <summary>
/// The secret values this process knows about (API keys read from environment variables), and a way to
/// scrub them from any text before it is logged, traced or shown. Providers register keys as they read them;
/// trace and log writers call <see cref="Redact(string)"/>.
/// </summary>
/// <remarks>
/// Matching ignores case, and a secret of <see cref="FragmentLength"/> characters or more is also found in
/// pieces: every run of text covered by windows of <see cref="FragmentLength"/> characters that occur in a
/// secret is masked, so a server echoing a key lower-cased or truncated (<c>sk-abcd...wxyz</c>) leaks nothing
/// of eight characters or more. A secret shorter than <see cref="FragmentLength"/> is masked only whole.
/// </remarks>
public static class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>Values shorter than this are not treated as secrets (they would mask ordinary words).</summary>
    public const int MinimumLength = 6;

    /// <summary>Any piece of a secret this long or longer is masked wherever it appears, in any case.</summary>
    public const int FragmentLength = 8;

    private static Matcher s_matcher = Matcher.Empty;

    /// <summary>Registers a secret value; null, blank or too short values are ignored.</summary>
    public static void Register(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < MinimumLength)
        {
            return;
        }

        while (true)
        {
            var current = s_matcher;
            if (current.Secrets.Contains(secret))
            {
                return;
            }

            var next = Matcher.Create([.. current.Secrets, secret]);
            if (Interlocked.CompareExchange(ref s_matcher, next, current) == current)
            {
                return;
            }
        }
    }

    /// <summary>True when <paramref name="text"/> contains a registered secret or a fragment of one.</summary>
    public static bool ContainsSecret(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var matcher = s_matcher;
        return !matcher.IsEmpty && matcher.FirstMatch(text) is not null;
    }

    /// <summary>The text with every registered secret, and every fragment of one, replaced by <see cref="Mask"/>.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var matcher = s_matcher;
        return matcher.IsEmpty || text.Length == 0 ? text : matcher.Redact(text);
    }

    /// <summary>An immutable snapshot of the registered secrets, indexed for matching.</summary>
    private sealed class Matcher
    {
        public static readonly Matcher Empty = Create([]);

        private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _windows;
        private readonly string[] _shortSecrets;

        private Matcher(string[] secrets, FrozenSet<string> windows, string[] shortSecrets)
        {
            Secrets = secrets;
            _windows = windows.GetAlternateLookup<ReadOnlySpan<char>>();
            HasWindows = windows.Count > 0;
            _shortSecrets = shortSecrets;
        }

        public string[] Secrets { get; }

        public bool IsEmpty => Secrets.Length == 0;

        private bool HasWindows { get; }

        public static Matcher Create(string[] secrets)
        {
            // Every window of FragmentLength characters of every long secret, compared without case.
            var windows = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var secret in secrets.Where(s => s.Length >= FragmentLength))
            {
                for (var i = 0; i + FragmentLength <= secret.Length; i++)
                {
                    windows.Add(secret.Substring(i, FragmentLength));
                }
            }

            var shortSecrets = secrets.Where(s => s.Length < FragmentLength).OrderByDescending(s => s.Length).ToArray();
            return new Matcher(secrets, windows.ToFrozenSet(StringComparer.OrdinalIgnoreCase), shortSecrets);
        }

        /// <summary>The start of the first masked range, or null.</summary>
        public int? FirstMatch(string text)
        {
            if (HasWindows)
            {
                for (var i = 0; i + FragmentLength <= text.Length; i++)
                {
                    if (_windows.Contains(text.AsSpan(i, FragmentLength)))
                    {
                        return i;
                    }
                }
            }

            foreach (var secret in _shortSecrets)
            {
                var index = text.IndexOf(secret, StringComparison.OrdinalIgnoreCase);
                if (index >= 0)
                {
                    return index;
                }
            }

            return null;
        }

        public string Redact(string text)
        {
            if (FirstMatch(text) is not { } first)
            {
                return text;
            }

            // Mark every character covered by a matching window (overlapping matches merge into one run).
            var masked = new bool[text.Length];
            var any = false;
            if (HasWindows)
            {
                for (var i = first; i + FragmentLength <= text.Length; i++)
                {
                    if (_windows.Contains(text.AsSpan(i, FragmentLength)))
                    {
                        masked.AsSpan(i, FragmentLength).Fill(true);
                        any = true;
                    }
                }
            }

            foreach (var secret in _shortSecrets)
            {
                for (var index = text.IndexOf(secret, StringComparison.OrdinalIgnoreCase); index >= 0;
                     index = text.IndexOf(secret, index + 1, StringComparison.OrdinalIgnoreCase))
                {
                    masked.AsSpan(index, secret.Length).Fill(true);
                    any = true;
                }
            }

            if (!any)
            {
                return text;
            }

            var builder = new StringBuilder(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                if (!masked[i])
                {
                    builder.Append(text[i]);
                }
                else if (i == 0 || !masked[i - 1])
                {
                    builder.Append(Mask);
                }
            }

            return builder.ToString();
        }
    }
}
