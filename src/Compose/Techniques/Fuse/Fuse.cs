using System.Collections.Immutable;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// A model reads every candidate (with critiques when asked or present) and writes <c>samples</c>
/// new answers, which replace the inputs. Each new candidate lists all inputs as parents.
/// </summary>
public sealed class Fuse(FuseSpec spec) : ITechnique
{
    public FuseSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var withCritiques = Spec.UseCritiques ?? context.Input.Any(c => !c.Critiques.IsEmpty);
        var data = context.NewPromptModel();
        data["candidates"] = CandidatePrompts.Candidates(context.Input, withCritiques);
        var prompt = context.Render("fuse", data);
        var parents = context.Input.Select(c => c.Id).ToImmutableArray();
        return await Concurrent.WithinBudget(Spec.Samples, async s =>
        {
            var reply = await context.CallAsync(context.Model, "fuse", s, prompt, cancellationToken).ConfigureAwait(false);
            return new Candidate
            {
                Id = $"{context.NodeId}.s{s}",
                Text = reply.Text,
                Producer = context.NodeId,
                Model = reply.Model,
                Sample = s,
                Parents = parents,
                Usage = reply.Usage,
                LogProbability = reply.LogProbability,
            };
        }).ConfigureAwait(false);
    }
}
