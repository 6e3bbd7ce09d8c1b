using System.Collections.Immutable;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Each model writes <c>samples</c> candidate answers, all calls side by side. In a later layer the
/// previous candidates are shown as references (Mixture-of-Agents) and replaced by the new ones.
/// Samples that finish before the budget runs out are kept.
/// </summary>
public sealed class Generate(GenerateSpec spec) : ITechnique
{
    public GenerateSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var data = context.NewPromptModel();
        data["candidates"] = CandidatePrompts.Candidates(context.Input, withCritiques: false);
        var prompt = context.Render("generate", data);
        var models = context.Node.ResolvedModels;
        var samples = Spec.Samples;
        var parents = context.Input.Select(c => c.Id).ToImmutableArray();

        return await Concurrent.WithinBudget(models.Length * samples, async i =>
        {
            var model = models[i / samples];
            var sample = i % samples;
            var reply = Spec.Constraint is { } constraint
                ? await context.CallAsync(model, "generate", i, prompt, new CallShape { WithHistory = true, Constraint = constraint }, cancellationToken).ConfigureAwait(false)
                : await context.CallAsync(model, "generate", i, prompt, cancellationToken, withHistory: true).ConfigureAwait(false);
            return new Candidate
            {
                Id = $"{context.NodeId}.m{i / samples}.s{sample}",
                Text = reply.Text,
                Producer = context.NodeId,
                Model = model,
                Sample = sample,
                Parents = parents,
                Usage = reply.Usage,
                LogProbability = reply.LogProbability,
            };
        }).ConfigureAwait(false);
    }
}
