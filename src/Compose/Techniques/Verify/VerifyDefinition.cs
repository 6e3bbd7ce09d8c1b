using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>A model or a program check judges each candidate; failures are dropped.</summary>
public sealed record VerifySpec(ModelRef? Model, CheckSpec? Check, OnNonePass OnNone, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "verify";

    /// <summary>
    /// True when the model first writes its reasoning about a candidate and then gives its verdict in a second call
    /// that sees that reasoning (two calls per candidate, Archon's verifier); a model judge only.
    /// </summary>
    public bool Reasoning { get; init; }

    /// <summary>True when the model's verdict is decoded constrained to exactly <c>yes</c> or <c>no</c> (it must offer constrained output).</summary>
    public bool Constrained { get; init; }
}

/// <summary>What happens when a verify step passes no candidate.</summary>
public enum OnNonePass
{
    /// <summary>Keep every candidate, marked unverified (default).</summary>
    KeepAll,

    /// <summary>Keep the single candidate with the highest verifier confidence.</summary>
    KeepBest,

    /// <summary>Fail the question: the run reports no answer.</summary>
    Fail,
}

/// <summary><c>verify</c>: a model (one call per candidate) or a program check judges each candidate; those that fail are dropped.</summary>
public sealed class VerifyDefinition : TechniqueDefinition<VerifySpec>
{
    private static readonly ImmutableArray<string> OnNoneWords = ["keep_all", "keep_best", "fail"];

    internal static TechniqueTemplate Prompt { get; } = TechniqueTemplate.BuiltIn("verify", DirectPrompts.Verify);

    public override string Key => "verify";

    public override string Summary => "A model or a program check judges each candidate; the ones that fail are dropped.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that judges (or 'check')."),
        new("check", "A program check instead of a model: { regex: ... }, { number: true | N } or { has_answer: true }."),
        new("on_none", "When none passes: keep_all (default), keep_best or fail.") { Words = OnNoneWords },
        new("reasoning", "true: the model first reasons about each candidate, then judges it seeing that reasoning (two calls per candidate; default false)."),
        new("constrained", "true: the verdict is decoded constrained to exactly 'yes' or 'no', so it always parses (the model must offer constrained output: provider onnx; default false)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } = [Prompt, TechniqueTemplate.BuiltIn("verify_reasoning")];

    public override VerifySpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var model = reader.Model("model");
        var check = reader.Check();
        if (reader.Has("model") && reader.Has("check"))
        {
            reader.Error(DiagnosticCodes.ConflictingOptions, reader.KeyLocation("check"), "verify takes a 'model' or a 'check', not both", "keep the one that should judge the candidates");
        }
        else if (!reader.Has("model") && !reader.Has("check"))
        {
            reader.Error(DiagnosticCodes.MissingOption, reader.Location, "verify needs a 'model' or a 'check' to judge the candidates", "add 'model: NAME' or 'check: { regex: \"...\" }'");
        }

        var onNone = reader.Word("on_none", OnNoneWords, [OnNonePass.KeepAll, OnNonePass.KeepBest, OnNonePass.Fail]) ?? OnNonePass.KeepAll;
        var reasoning = reader.Bool("reasoning") ?? false;
        if (reasoning && !reader.Has("model") && reader.Has("check"))
        {
            reader.Warning(DiagnosticCodes.UnusedOption, reader.KeyLocation("reasoning"), "'reasoning' has no effect with a 'check': a program judges, no model reasons", "remove 'reasoning', or judge with 'model: NAME'");
            reasoning = false;
        }

        var constrained = reader.Bool("constrained") ?? false;
        if (constrained && !reader.Has("model") && reader.Has("check"))
        {
            reader.Warning(DiagnosticCodes.UnusedOption, reader.KeyLocation("constrained"), "'constrained' has no effect with a 'check': no model writes a verdict", "remove 'constrained', or judge with 'model: NAME'");
            constrained = false;
        }

        return new VerifySpec(model, check, onNone, reader.Location) { Reasoning = reasoning, Constrained = constrained };
    }

    public override TechniqueNeeds Needs(VerifySpec spec) =>
        spec.Constrained ? new() { FromModels = Compose.Models.ModelCapabilities.ConstrainedOutput } : TechniqueNeeds.None;

    public override IEnumerable<ModelRef?> Models(VerifySpec spec) => spec.Model is not null || spec.Check is null ? [spec.Model] : [];

    public override TechniqueBounds Bounds(VerifySpec spec, BoundsInput input)
    {
        if (spec.Model is null && spec.Check is not null)
        {
            return new([], input.Input);
        }

        var n = input.Input.Count;
        var judge = ModelCalls.Of(input.Model, n, Add(input.QuestionTokens, input.Input.CandidateTokens), input.MaxTokens);
        if (!spec.Reasoning)
        {
            return new([judge], input.Input);
        }

        // The verdict call also shows the reasoning, at most one reply long.
        var verdict = ModelCalls.Of(input.Model, n, Add(Add(input.QuestionTokens, input.Input.CandidateTokens), input.MaxTokens), input.MaxTokens);
        return new([new ModelCalls(input.Model, Add(judge.Calls, verdict.Calls), Add(judge.InputTokens, verdict.InputTokens), Add(judge.OutputTokens, verdict.OutputTokens))], input.Input);
    }

    public override long CandidatesShownPerCall(VerifySpec spec, long candidatesIn) => Math.Min(1, candidatesIn);

    public override IEnumerable<string> TemplatesUsed(VerifySpec spec) =>
        spec.Model is null && spec.Check is not null ? [] : spec.Reasoning ? ["verify", "verify_reasoning"] : ["verify"];

    public override ITechnique Create(VerifySpec spec) => new Verify(spec);
}
