using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>Critique then revise each candidate, up to <see cref="Rounds"/> times or until the stop condition holds.</summary>
public sealed record RefineSpec(ModelRef? Model, int Rounds, RefineStop? Until, ModelRef? Verifier, CheckSpec? Check, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "refine";
}

public enum RefineStop
{
    /// <summary>Stop when a verifier (model or check) accepts the candidate.</summary>
    Verified,

    /// <summary>Stop when a revision returns the candidate unchanged.</summary>
    Unchanged,
}

/// <summary><c>refine</c>: critique then revise each candidate, up to <c>rounds</c> times or until verified or unchanged.</summary>
public sealed class RefineDefinition : TechniqueDefinition<RefineSpec>
{
    private static readonly ImmutableArray<string> Stops = ["verified", "unchanged"];

    public override string Key => "refine";

    public override string Summary => "Critiques then revises each candidate, up to 'rounds' times or until a verifier accepts it or a revision changes nothing.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that critiques and revises (default: defaults.model)."),
        new("rounds", "Critique-revise rounds per candidate at most, 1..20 (default 3)."),
        new("until", "When to stop early: verified (a verifier or check accepts) or unchanged (a revision changes nothing).") { Words = Stops },
        new("verifier", "The model that decides 'until: verified' (or 'check')."),
        new("check", "A program check that decides 'until: verified'."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } =
        [CritiqueDefinition.Prompt, TechniqueTemplate.BuiltIn("revise"), VerifyDefinition.Prompt];

    public override RefineSpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var model = reader.Model("model");
        var verifier = reader.Model("verifier");
        var check = reader.Check();
        RefineStop? until = null;
        if (reader.Has("until"))
        {
            until = reader.Word("until", Stops, [RefineStop.Verified, RefineStop.Unchanged]);
        }
        else
        {
            reader.Error(DiagnosticCodes.MissingOption, reader.Location, "refine has no stop condition ('until:')", "add 'until: verified' (with a verifier or check) or 'until: unchanged'");
        }

        var hasVerifier = reader.Has("verifier");
        var hasCheck = reader.Has("check");
        if (until == RefineStop.Verified)
        {
            if (hasVerifier && hasCheck)
            {
                reader.Error(DiagnosticCodes.ConflictingOptions, reader.KeyLocation("check"), "refine takes a 'verifier' or a 'check', not both", "keep the one that should decide when a candidate is done");
            }
            else if (!hasVerifier && !hasCheck)
            {
                reader.Error(DiagnosticCodes.MissingOption, reader.ValueLocation("until"), "'until: verified' needs a 'verifier' model or a 'check'", "add 'verifier: NAME' or 'check: { regex: \"...\" }'");
            }
        }
        else if (until == RefineStop.Unchanged)
        {
            foreach (var unused in new[] { "verifier", "check" }.Where(reader.Has))
            {
                reader.Warning(DiagnosticCodes.UnusedOption, reader.KeyLocation(unused), $"'{unused}' has no effect with 'until: unchanged'", "remove it, or write 'until: verified'");
            }
        }

        return new RefineSpec(model, reader.Int("rounds", 1, 20) ?? 3, until, verifier, check, reader.Location);
    }

    public override IEnumerable<ModelRef?> Models(RefineSpec spec) => spec.Verifier is null ? [spec.Model] : [spec.Model, spec.Verifier];

    public override TechniqueBounds Bounds(RefineSpec spec, BoundsInput input)
    {
        var flow = input.Input;
        var max = input.MaxTokens;
        var question = input.QuestionTokens;
        var revised = Math.Max(flow.CandidateTokens, max);
        var rounds = Mul(spec.Rounds, flow.Count);
        var work = new ModelCalls(input.Model, Mul(rounds, 2), Mul(rounds, Add(Add(Mul(2, question), Mul(2, revised)), max)), Mul(Mul(rounds, 2), max));
        var calls = spec.Verifier is null || input.Models.Length < 2
            ? [work]
            : ImmutableArray.Create(work, ModelCalls.Of(input.Models[1], rounds, Add(question, revised), max));
        return new TechniqueBounds(calls, flow with { CandidateTokens = revised });
    }

    public override long CandidatesShownPerCall(RefineSpec spec, long candidatesIn) => Math.Min(1, candidatesIn);

    public override ITechnique Create(RefineSpec spec) => new Refine(spec);
}
