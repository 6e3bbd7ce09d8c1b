using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Compose.Models.Providers;

/// <summary>
/// One rule of a scripted model: when the prompt matches <see cref="When"/> (and, if given, the partial answer being
/// continued matches <see cref="Partial"/>; an ordinary request continues the empty answer), reply with one of the replies.
/// </summary>
public sealed record ScriptedRule(Regex When, ImmutableArray<string> Replies)
{
    /// <summary>A pattern the partial answer must match (<c>partial:</c>); null matches any.</summary>
    public Regex? Partial { get; init; }

    /// <summary>Per reply, the log-probabilities of its words (the last repeated); empty when the rule scripts none.</summary>
    public ImmutableArray<ImmutableArray<double>> LogProbs { get; init; } = [];
}

/// <summary>
/// A deterministic model for tests, examples and benchmarks: the first rule whose pattern matches
/// the last user message answers; with several replies, the call's seed picks one (same seed, same
/// reply). A rule with <c>partial:</c> also sees the partial answer a step-level search continues (the empty text for an
/// ordinary request), so a script can answer step by step. Latency, seed choice, max tokens, stop sequences, token
/// counting and usage are <see cref="SimulatedChatClient"/>'s.
/// </summary>
public sealed class ScriptedChatClient(ImmutableArray<ScriptedRule> rules, string? fallback, TimeSpan latency, string modelId)
    : SimulatedChatClient(latency, "scripted", modelId)
{
    public ImmutableArray<ScriptedRule> Rules { get; } = rules;

    /// <summary>The reply to <paramref name="prompt"/> for a call with <paramref name="seed"/>.</summary>
    public string Answer(string prompt, long seed) => Answer(prompt, null, seed);

    /// <summary>The reply to <paramref name="prompt"/> continuing <paramref name="partial"/> (null: an ordinary request) for a call with <paramref name="seed"/>.</summary>
    public string Answer(string prompt, string? partial, long seed) => Choose(prompt, partial, seed).Reply;

    protected override ImmutableArray<double> WordLogProbabilities(string prompt, string? partial, long seed) => Choose(prompt, partial, seed).LogProbs;

    private (string Reply, ImmutableArray<double> LogProbs) Choose(string prompt, string? partial, long seed)
    {
        foreach (var rule in Rules)
        {
            bool match;
            try
            {
                match = rule.When.IsMatch(prompt) && (rule.Partial is null || rule.Partial.IsMatch(partial ?? ""));
            }
            catch (RegexMatchTimeoutException)
            {
                match = false;
            }

            if (match)
            {
                var index = (int)((ulong)seed % (ulong)rule.Replies.Length);
                return (rule.Replies[index], rule.LogProbs.IsDefaultOrEmpty ? [] : rule.LogProbs[Math.Min(index, rule.LogProbs.Length - 1)]);
            }
        }

        return (fallback ?? $"(scripted) {FirstLine(prompt)}", []);
    }

    protected override string Reply(string prompt, long seed) => Answer(prompt, null, seed);

    protected override string Reply(string prompt, string? partial, long seed) => Answer(prompt, partial, seed);

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}
