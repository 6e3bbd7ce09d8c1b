using System.Collections.Immutable;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>A model critiques every candidate (one call each, side by side); each critique is attached to its own candidate.</summary>
public sealed class Critique(CritiqueSpec spec) : ITechnique
{
    public CritiqueSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var input = context.Input;
        var critiqued = await Concurrent.All(input.Length, async i =>
        {
            var data = context.NewPromptModel();
            data["candidate"] = CandidatePrompts.Candidate(input[i], i + 1, withCritiques: false);
            var reply = await context.CallAsync(context.Model, "critique", i, context.Render("critique", data), cancellationToken).ConfigureAwait(false);
            return input[i] with
            {
                Critiques = input[i].Critiques.Add(new CandidateCritique(reply.Text, context.NodeId, reply.Model)),
            };
        }).ConfigureAwait(false);
        return [.. critiqued];
    }
}
