using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>A model writes <see cref="Count"/> tests for the question; each candidate is checked and the top <see cref="Keep"/> kept.</summary>
public sealed record UnitTestsSpec(ModelRef? Model, int Count, int Keep, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "unit_tests";
}

/// <summary><c>unit_tests</c>: a model writes tests for the question, checks each candidate against them, and the best <c>keep</c> continue.</summary>
public sealed class UnitTestsDefinition : TechniqueDefinition<UnitTestsSpec>
{
    public override string Key => "unit_tests";

    public override string Summary => "A model writes 'count' tests for the question and checks each candidate against them; the 'keep' that pass most continue.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that writes and applies the tests (default: defaults.model)."),
        new("count", "Tests to write, 1..50 (default 5)."),
        new("keep", "How many continue, most tests passed first (default 1)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } =
        [TechniqueTemplate.BuiltIn("unit_tests_write"), TechniqueTemplate.BuiltIn("unit_tests_check")];

    public override UnitTestsSpec Read(TechniqueReader reader) =>
        new(reader.Model("model"), reader.Int("count", 1, 50) ?? 5, reader.Int("keep", 1, int.MaxValue) ?? 1, reader.Location);

    public override IEnumerable<ModelRef?> Models(UnitTestsSpec spec) => [spec.Model];

    public override TechniqueBounds Bounds(UnitTestsSpec spec, BoundsInput input)
    {
        var flow = input.Input;
        var write = ModelCalls.Of(input.Model, 1, input.QuestionTokens, input.MaxTokens);
        var check = ModelCalls.Of(input.Model, flow.Count, Add(Add(input.QuestionTokens, flow.CandidateTokens), input.MaxTokens), input.MaxTokens);
        return new TechniqueBounds(
            [new ModelCalls(input.Model, write.Calls + check.Calls, Add(write.InputTokens, check.InputTokens), Add(write.OutputTokens, check.OutputTokens))],
            flow with { Count = Math.Min(spec.Keep, flow.Count) });
    }

    public override long CandidatesShownPerCall(UnitTestsSpec spec, long candidatesIn) => Math.Min(1, candidatesIn);

    public override ITechnique Create(UnitTestsSpec spec) => new UnitTests(spec);
}
