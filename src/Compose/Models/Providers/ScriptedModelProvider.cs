using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Compose.Language;
using Microsoft.Extensions.AI;

namespace Compose.Models.Providers;

/// <summary>
/// <c>provider: scripted</c>: deterministic answers by rules, for tests, examples and benchmarks.
/// <code>
/// bot:
///   provider: scripted
///   latency_ms: 50            # simulated latency per call (default 0)
///   rules:                    # first match wins, against the last user message
///     - when: "capital of France"      # .NET regex, case-insensitive
///       reply: Paris
///     - when: "What is 6\*7"
///       replies: ["42", "42", "41"]    # chosen by the call's seed
///     - when: "Solve"
///       partial: "Step 1.*\n\n$"       # also matched against the partial answer a step-level search continues
///       replies: ["Step 2 ...\n\n"]      # ("" for an ordinary request)
///     - when: "What is 2\+3"
///       replies: ["5", "6"]
///       logprobs: [-0.1, [-0.1, -2.5]]  # per reply: every word's log-probability, or one per word (the last repeated)
///   default: "I don't know."  # when no rule matches (default: echoes the prompt's first line)
///   token_latency_ms: 5       # simulated delay per streamed word (default 0)
/// </code>
/// Log-probabilities are reported when a request asks for them (<see cref="TokenLogProbabilities"/>): a word (with the
/// spaces before it) is a token, its top-k alternatives are itself and k - 1 that share the remaining probability.
/// </summary>
public sealed class ScriptedModelProvider : IModelProvider
{
    public const string MissingRuleKey = "CMP360";
    public const string BadRegex = "CMP361";
    public const string UnknownOption = "CMP362";
    public const string BadValue = "CMP363";

    private static readonly string[] Options = ["rules", "default", "latency_ms", "token_latency_ms"];
    private static readonly string[] RuleKeys = ["when", "partial", "reply", "replies", "logprobs"];

    public string Name => "scripted";

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context)
    {
        var diagnostics = new List<Diagnostic>();
        Parse(spec, diagnostics);
        return diagnostics;
    }

    public IChatClient Create(ModelSpec spec, ModelProviderContext context)
    {
        var diagnostics = new List<Diagnostic>();
        var (rules, fallback, latency, tokenLatency) = Parse(spec, diagnostics);
        if (diagnostics.Any(d => d.IsError))
        {
            throw new DiagnosticException(diagnostics);
        }

        return new ScriptedChatClient(rules, fallback, latency, spec.Name) { TokenLatency = tokenLatency };
    }

    /// <summary>
    /// A scripted model continues partial answers (its rules may match them with <c>partial:</c>), and reports
    /// log-probabilities when a rule scripts them (<c>logprobs:</c>).
    /// </summary>
    public ModelCapabilities Capabilities(ModelSpec spec, ModelProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var scripted = spec.Options["rules"] is SpecSequence rules && rules.Items.Any(r => r is SpecMapping m && m["logprobs"] is not null);
        return ModelCapabilities.Continuation | (scripted ? ModelCapabilities.LogProbabilities : ModelCapabilities.None);
    }

    private (ImmutableArray<ScriptedRule> Rules, string? Fallback, TimeSpan Latency, TimeSpan TokenLatency) Parse(ModelSpec spec, List<Diagnostic> diagnostics)
    {
        var options = new ModelOptionsReader(Name, spec, diagnostics);
        options.Known(Options, new(UnknownOption));
        var latency = options.Milliseconds("latency_ms", 600_000, new(BadValue, hint: "For example: latency_ms: 50")) ?? TimeSpan.Zero;
        var tokenLatency = options.Milliseconds("token_latency_ms", 60_000, new(BadValue, hint: "For example: token_latency_ms: 5")) ?? TimeSpan.Zero;
        var fallback = options.Text("default", new(BadValue, hint: "For example: default: \"I don't know.\""));
        var rules = ImmutableArray.CreateBuilder<ScriptedRule>();
        foreach (var item in options.List("rules", new(BadValue, "rules must be a list of { when, reply | replies }", "For example: rules: [ { when: 'hello', reply: 'hi' } ]")) ?? [])
        {
            if (item is not SpecMapping rule)
            {
                diagnostics.Add(Diagnostic.Error(BadValue, item.Location, "a rule must be a mapping { when, reply | replies }", "For example: - { when: 'hello', reply: 'hi' }"));
                continue;
            }

            var ruleOptions = options.Within(rule);
            ruleOptions.Known(RuleKeys, new(UnknownOption, key => $"unknown rule key '{key}'", key => DidYouMean.Hint(key, RuleKeys, "a rule takes")));
            var whenText = ruleOptions.Required(
                "when",
                new(MissingRuleKey, "a rule needs 'when' (a regular expression matched against the prompt)", "For example: when: 'capital of France'"),
                RequiredText.MayBeEmpty);
            var when = whenText is { } w ? Pattern(w, "when", diagnostics) : null;
            var partialText = ruleOptions.Text("partial", new(BadValue, "'partial' must be a text (a regular expression matched against the partial answer)", "For example: partial: 'Step 1'"));
            var partial = partialText is not null && rule["partial"] is SpecScalar p ? Pattern(p, "partial", diagnostics) : null;

            var replies = ImmutableArray.CreateBuilder<string>();
            switch (rule["reply"])
            {
                case SpecScalar r:
                    replies.Add(r.Value);
                    break;
                case { } notText:
                    diagnostics.Add(Diagnostic.Error(BadValue, notText.Location, "'reply' must be a text", "For example: reply: Paris (or replies: [\"a\", \"b\"] for several)"));
                    break;
            }

            if (rule["replies"] is { } list and not SpecSequence)
            {
                diagnostics.Add(Diagnostic.Error(BadValue, list.Location, "'replies' must be a list of texts", "For example: replies: [\"42\", \"41\"]"));
            }

            if (rule["reply"] is not null && rule["replies"] is not null)
            {
                diagnostics.Add(Diagnostic.Error(BadValue, rule["replies"]!.Location, "a rule takes 'reply' or 'replies', not both", "keep 'replies' and put the single reply in its list"));
            }

            if (rule["replies"] is SpecSequence rs)
            {
                foreach (var x in rs.Items)
                {
                    if (x is SpecScalar xs)
                    {
                        replies.Add(xs.Value);
                    }
                    else
                    {
                        diagnostics.Add(Diagnostic.Error(BadValue, x.Location, "each reply must be a text", "replies: [\"a\", \"b\"]"));
                    }
                }
            }

            if (rule["reply"] is null && rule["replies"] is null)
            {
                diagnostics.Add(Diagnostic.Error(MissingRuleKey, rule.Location, "a rule needs 'reply' (a text) or 'replies' (a non-empty list of texts)", "For example: reply: Paris"));
            }
            else if (rule["replies"] is SpecSequence { Items.Length: 0 } empty)
            {
                diagnostics.Add(Diagnostic.Error(MissingRuleKey, empty.Location, "'replies' is empty: a rule needs at least one reply", "For example: replies: [\"42\", \"41\"]"));
            }

            var logprobs = rule["logprobs"] is { } scripted ? LogProbs(scripted, replies.Count, diagnostics) : [];
            if (when is not null && replies.Count > 0)
            {
                rules.Add(new ScriptedRule(when, replies.ToImmutable()) { Partial = partial, LogProbs = logprobs });
            }
        }

        return (rules.ToImmutable(), fallback, latency, tokenLatency);
    }

    /// <summary>
    /// A rule's <c>logprobs</c>: one number (every word of every reply), or a list with one entry per reply, each a
    /// number (every word of that reply) or a list of numbers (one per word, the last repeated); every number at most 0.
    /// </summary>
    private static ImmutableArray<ImmutableArray<double>> LogProbs(SpecNode node, int replies, List<Diagnostic> diagnostics)
    {
        const string Hint = "For example: logprobs: -0.1, or one entry per reply: logprobs: [-0.1, [-0.1, -2.5]]";
        ImmutableArray<double>? Numbers(SpecNode item) => item switch
        {
            SpecScalar s when Number(s) is { } n => [n],
            SpecSequence seq when seq.Items.Length > 0 && seq.Items.All(i => i is SpecScalar x && Number(x) is not null) =>
                [.. seq.Items.Select(i => Number((SpecScalar)i)!.Value)],
            _ => null,
        };

        if (node is SpecScalar single)
        {
            if (Numbers(single) is { } all)
            {
                return [.. Enumerable.Repeat(all, Math.Max(1, replies))];
            }
        }
        else if (node is SpecSequence list && list.Items.Length == replies && replies > 0)
        {
            var result = ImmutableArray.CreateBuilder<ImmutableArray<double>>(replies);
            foreach (var item in list.Items)
            {
                if (Numbers(item) is not { } numbers)
                {
                    diagnostics.Add(Diagnostic.Error(BadValue, item.Location, "each 'logprobs' entry must be a log-probability (a number <= 0) or a list of them", Hint));
                    return [];
                }

                result.Add(numbers);
            }

            return result.MoveToImmutable();
        }

        diagnostics.Add(Diagnostic.Error(BadValue, node.Location,
            $"'logprobs' must be a log-probability (a number <= 0) or a list with one entry per reply ({replies})", Hint));
        return [];
    }

    private static double? Number(SpecScalar scalar) =>
        double.TryParse(scalar.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= 0 && !double.IsNaN(n)
            ? n
            : null;

    private static Regex? Pattern(SpecScalar text, string key, List<Diagnostic> diagnostics)
    {
        try
        {
            return new Regex(text.Value, RegexOptions.IgnoreCase | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            diagnostics.Add(Diagnostic.Error(BadRegex, text.Location, $"'{key}' is not a valid regular expression: {ex.Message}", "Escape special characters such as * + ? ( ) [ with a backslash."));
            return null;
        }
    }
}
