using System.Diagnostics;
using System.Text;
using Compose.Models;
using Compose.Runtime;

namespace Compose.Tests.Models;

/// <summary>The scrubbing rule: registered secrets are masked in any case, whole or in pieces of 8 characters or more.</summary>
public sealed class SecretRedactorTests
{
    /// <summary>A fresh mixed-case key, so tests never see each other's secrets and case matters.</summary>
    private static string MixedCaseKey() => "sk-Live-" + Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', 'Q').Replace('/', 'z');

    /// <summary>No piece of <paramref name="secret"/> of <see cref="SecretRedactor.FragmentLength"/> characters is left in <paramref name="text"/>, in any case.</summary>
    private static void AssertNoFragment(string text, string secret)
    {
        for (var i = 0; i + SecretRedactor.FragmentLength <= secret.Length; i++)
        {
            Assert.DoesNotContain(secret.Substring(i, SecretRedactor.FragmentLength), text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Matching_ignores_case()
    {
        var key = MixedCaseKey();
        SecretRedactor.Register(key);

        Assert.Equal("a *** b *** c ***", SecretRedactor.Redact($"a {key} b {key.ToLowerInvariant()} c {key.ToUpperInvariant()}"));
        Assert.True(SecretRedactor.ContainsSecret(key.ToLowerInvariant()));
    }

    [Fact]
    public void Fragments_of_8_characters_or_more_are_masked()
    {
        var key = MixedCaseKey();
        SecretRedactor.Register(key);
        var truncated = $"Incorrect API key provided: {key[..11].ToLowerInvariant()}...{key[^4..]}. You can find your key at ...";

        var redacted = SecretRedactor.Redact(truncated);

        Assert.Equal($"Incorrect API key provided: ***...{key[^4..]}. You can find your key at ...", redacted);
        Assert.Equal("[***]", SecretRedactor.Redact($"[{key.Substring(5, 8)}]"));
        Assert.Equal("[***]", SecretRedactor.Redact($"[{key.Substring(9, 12).ToUpperInvariant()}]"));
        AssertNoFragment(redacted, key);
    }

    [Fact]
    public void Pieces_shorter_than_8_characters_stay()
    {
        var key = MixedCaseKey();
        SecretRedactor.Register(key);
        var seven = key.Substring(10, 7);

        Assert.Equal($"[{seven}]", SecretRedactor.Redact($"[{seven}]"));
        Assert.False(SecretRedactor.ContainsSecret($"[{seven}]"));
        Assert.Equal("nothing secret here", SecretRedactor.Redact("nothing secret here"));
    }

    [Fact]
    public void Overlapping_and_adjacent_matches_merge_into_one_mask()
    {
        var key = MixedCaseKey();
        SecretRedactor.Register(key);

        // The key's first 14 characters, then its characters 4..22 again: the matches overlap.
        var text = $"x {key[..14]}{key[4..22]} y {key}{key.ToLowerInvariant()} z";

        var redacted = SecretRedactor.Redact(text);

        Assert.Equal("x *** y *** z", redacted);
        AssertNoFragment(redacted, key);
    }

    [Fact]
    public void Short_secrets_are_masked_only_whole_and_very_short_ones_not_at_all()
    {
        var shortKey = "Qx7" + Guid.NewGuid().ToString("N")[..4];  // 7 characters
        SecretRedactor.Register(shortKey);
        SecretRedactor.Register("abc");
        SecretRedactor.Register("   ");
        SecretRedactor.Register(null);

        Assert.Equal("key=*** again ***", SecretRedactor.Redact($"key={shortKey} again {shortKey.ToUpperInvariant()}"));
        Assert.Equal($"part {shortKey[..6]}", SecretRedactor.Redact($"part {shortKey[..6]}"));
        Assert.Equal("abc is too short to be a secret", SecretRedactor.Redact("abc is too short to be a secret"));
    }

    [Fact]
    public void A_megabyte_of_text_is_scrubbed_quickly()
    {
        var keys = Enumerable.Range(0, 20).Select(_ => MixedCaseKey()).ToList();
        keys.ForEach(SecretRedactor.Register);
        var builder = new StringBuilder(1_100_000);
        var random = new Random(7);
        while (builder.Length < 1_000_000)
        {
            builder.Append("The quick brown fox jumps over the lazy dog ").Append(random.Next());
            if (builder.Length % 97 == 0)
            {
                builder.Append(' ').Append(keys[random.Next(keys.Count)][3..15].ToLowerInvariant()).Append(' ');
            }
        }

        builder.Append(keys[0]);
        var text = builder.ToString();

        var watch = Stopwatch.StartNew();
        var redacted = SecretRedactor.Redact(text);
        var clean = SecretRedactor.ContainsSecret(redacted);
        var plain = SecretRedactor.Redact(new string('a', 1_000_000));
        watch.Stop();

        Assert.False(clean);
        Assert.EndsWith("***", redacted, StringComparison.Ordinal);
        keys.ForEach(key => AssertNoFragment(redacted, key));
        Assert.Equal(1_000_000, plain.Length);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_trace_sink_masks_secrets_by_default()
    {
        var key = MixedCaseKey();
        SecretRedactor.Register(key);
        using var text = new StringWriter();
        using (var sink = new JsonlTraceSink(text))
        {
            sink.Write(new RunStarted("p", $"my key is {key.ToLowerInvariant()}, or {key[..9]}", 1) { QuestionId = "q" });
        }

        Assert.Contains("my key is ***, or ***", text.ToString(), StringComparison.Ordinal);
        AssertNoFragment(text.ToString(), key);
    }
}
