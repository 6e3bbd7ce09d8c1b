using Compose.Language;
using Compose.Models.Providers;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>The scripted provider reports every problem of its rules where it is written, never ignoring a value silently.</summary>
public sealed class ScriptedProviderCheckTests
{
    private static List<Diagnostic> Check(string rules)
    {
        var yaml = $"compose: 1\nname: t\nmodels:\n  s:\n    provider: scripted\n    rules:\n{rules}layers:\n  - generate: {{ model: s }}\n";
        var spec = PipelineReader.Read(yaml, "t.yaml").Spec!.FindModel("s")!;
        return [.. new ScriptedModelProvider().Check(spec, Context())];
    }

    [Theory]
    [InlineData("      - { reply: hi }\n", ScriptedModelProvider.MissingRuleKey, 7, 9)] // no 'when': at the rule
    [InlineData("      - { when: hi }\n", ScriptedModelProvider.MissingRuleKey, 7, 9)] // no reply: at the rule
    [InlineData("      - { when: hi, reply: { a: b } }\n", ScriptedModelProvider.BadValue, 7, 28)] // a reply that is not a text
    [InlineData("      - { when: hi, replies: just one }\n", ScriptedModelProvider.BadValue, 7, 30)] // replies that are not a list
    [InlineData("      - { when: hi, reply: a, replies: [b] }\n", ScriptedModelProvider.BadValue, 7, 40)] // both
    [InlineData("      - { when: hi, replies: [] }\n", ScriptedModelProvider.MissingRuleKey, 7, 30)] // an empty list
    [InlineData("      - { when: hi, replies: [a, [b]] }\n", ScriptedModelProvider.BadValue, 7, 34)] // an item that is not a text
    [InlineData("      - { when: '(', reply: a }\n", ScriptedModelProvider.BadRegex, 7, 17)] // a bad pattern, at the value
    [InlineData("      - { when: hi, partial: '[', reply: a }\n", ScriptedModelProvider.BadRegex, 7, 30)]
    [InlineData("      - { when: [hi], reply: a }\n", ScriptedModelProvider.MissingRuleKey, 7, 17)] // a 'when' that is not a text, at the value
    public void A_problem_is_reported_once_where_it_is_written(string rules, string code, int line, int column)
    {
        var errors = Check(rules).Where(d => d.IsError).ToList();
        var error = Assert.Single(errors);
        Assert.Equal(code, error.Code);
        Assert.Equal((line, column), (error.Location.Line, error.Location.Column));
    }

    [Fact]
    public void A_misspelt_rule_key_gets_a_did_you_mean()
    {
        var error = Assert.Single(Check("      - { when: hi, repyl: a, reply: b }\n"), d => d.IsError);
        Assert.Equal(ScriptedModelProvider.UnknownOption, error.Code);
        Assert.Contains("reply", error.Hint, StringComparison.Ordinal);
    }
}
