using System.Collections.Immutable;
using Compose.Language;
using static Compose.Compilation.Saturating;

namespace Compose.Compilation;

/// <summary>
/// Static upper bounds of one technique: calls per model, tokens per call (output at most the effective
/// max_tokens; input at most the template overhead, the question and every candidate and critique the call shows),
/// and the candidates it passes on.
/// </summary>
internal static class Bounds
{
    public sealed record Step(ImmutableArray<ModelCalls> Calls, CandidateFlow Output);

    public static Step Of(TechniqueSpec technique, ImmutableArray<string> models, CandidateFlow input, int layer, GenerationDefaults defaults)
    {
        long n = input.Count;
        long c = input.CandidateTokens;
        long k = input.CritiqueTokens;
        long max = technique.MaxTokens ?? defaults.MaxTokens;
        long question = Add(PipelineCompiler.TemplateOverheadTokens, defaults.InputTokens);
        var model = models.IsEmpty ? null : models[0];

        switch (technique)
        {
            case GenerateSpec generate:
                {
                    var perCall = layer == 0 ? question : Add(question, Mul(n, Add(c, k)));
                    var calls = models.IsEmpty
                        ? [Calls(null, generate.Samples, perCall, max)]
                        : models.Select(m => Calls(m, generate.Samples, perCall, max)).ToImmutableArray();
                    return new Step(calls, new CandidateFlow(Mul(Math.Max(models.Length, 1), generate.Samples), max, 0));
                }

            case CritiqueSpec:
                return new Step([Calls(model, n, Add(question, c), max)], input with { CritiqueTokens = Add(k, max) });

            case RankSpec rank:
                {
                    var shown = Add(c, rank.UseCritiques == false ? 0 : k);
                    var call = rank.Method switch
                    {
                        RankMethod.Pairwise => Calls(model, Mul(n, Math.Max(n - 1, 0)) / 2, Add(question, Mul(2, shown)), max),
                        RankMethod.Pointwise => Calls(model, n, Add(question, shown), max),
                        _ => Calls(model, n > 0 ? 1 : 0, Add(question, Mul(n, shown)), max),
                    };
                    return new Step([call], input with { Count = Math.Min(rank.Keep, n) });
                }

            case FuseSpec fuse:
                {
                    var shown = Add(c, fuse.UseCritiques == false ? 0 : k);
                    return new Step([Calls(model, fuse.Samples, Add(question, Mul(n, shown)), max)], new CandidateFlow(fuse.Samples, max, 0));
                }

            case VerifySpec verify:
                return new Step(verify.Model is null && verify.Check is not null ? [] : [Calls(model, n, Add(question, c), max)], input);

            case RefineSpec refine:
                {
                    var revised = Math.Max(c, max);
                    var rounds = Mul(refine.Rounds, n);
                    var work = new ModelCalls(model, Mul(rounds, 2), Mul(rounds, Add(Add(Mul(2, question), Mul(2, revised)), max)), Mul(Mul(rounds, 2), max));
                    var calls = refine.Verifier is null || models.Length < 2
                        ? [work]
                        : ImmutableArray.Create(work, Calls(models[1], rounds, Add(question, revised), max));
                    return new Step(calls, input with { CandidateTokens = revised });
                }

            case UnitTestsSpec tests:
                {
                    var write = Calls(model, 1, question, max);
                    var check = Calls(model, n, Add(Add(question, c), max), max);
                    return new Step(
                        [new ModelCalls(model, write.Calls + check.Calls, Add(write.InputTokens, check.InputTokens), Add(write.OutputTokens, check.OutputTokens))],
                        input with { Count = Math.Min(tests.Keep, n) });
                }

            default:
                return new Step([], input);
        }
    }

    private static ModelCalls Calls(string? model, long calls, long inputPerCall, long outputPerCall) =>
        new(model, calls, Mul(calls, inputPerCall), Mul(calls, outputPerCall));
}
