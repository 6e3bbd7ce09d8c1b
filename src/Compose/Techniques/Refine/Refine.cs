using System.Collections.Immutable;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Improves each candidate (side by side) in rounds of critique then revise, at most <c>rounds</c>
/// times. With <c>until: verified</c> a round starts by verifying the current text (by the
/// verifier model or the check) and the loop stops once it passes; with <c>until: unchanged</c>
/// it stops when a revision returns the text unchanged. The refined candidate keeps its critiques
/// and lists the original as parent.
/// </summary>
public sealed class Refine(RefineSpec spec) : ITechnique
{
    private readonly CandidateJudge _judge = new(spec.Check);

    public RefineSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var input = context.Input;
        var refined = await Concurrent.All(input.Length, i => RefineOne(context, input[i], i, cancellationToken)).ConfigureAwait(false);
        return [.. refined];
    }

    private async Task<Candidate> RefineOne(TechniqueContext context, Candidate original, int index, CancellationToken ct)
    {
        var current = original;
        var usage = Usage.Zero;
        for (var round = 0; round < Spec.Rounds; round++)
        {
            var sample = (index * Spec.Rounds) + round;
            if (Spec.Until == RefineStop.Verified)
            {
                var ok = await _judge.PassesAsync(context, Verifier(context), current, 1, sample, ct).ConfigureAwait(false);
                current = current with { Verified = ok };
                if (ok)
                {
                    break;
                }
            }

            var critiqueData = context.NewPromptModel();
            critiqueData["candidate"] = CandidatePrompts.Candidate(current, index + 1, withCritiques: false);
            var critique = await context.CallAsync(context.Model, "critique", sample, context.Render("critique", critiqueData), ct).ConfigureAwait(false);

            var reviseData = context.NewPromptModel();
            reviseData["candidate"] = CandidatePrompts.Candidate(current, index + 1, withCritiques: false);
            reviseData["critique"] = critique.Text;
            var revised = await context.CallAsync(context.Model, "revise", sample, context.Render("revise", reviseData), ct).ConfigureAwait(false);
            usage += critique.Usage + revised.Usage;

            var unchanged = string.Equals(revised.Text.Trim(), current.Text.Trim(), StringComparison.Ordinal);
            current = current with
            {
                Id = $"{context.NodeId}.c{index}.r{round + 1}",
                Text = revised.Text,
                Producer = context.NodeId,
                Model = revised.Model,
                Parents = [original.Id],
                Critiques = current.Critiques.Add(new CandidateCritique(critique.Text, context.NodeId, critique.Model)),
                Verified = null,
                Usage = original.Usage + usage,
            };
            if (unchanged && Spec.Until == RefineStop.Unchanged)
            {
                break;
            }
        }

        return current;
    }

    /// <summary>The model that judges <c>until: verified</c> when there is no check: <c>verifier</c>, else the node's model.</summary>
    private string Verifier(TechniqueContext context) =>
        context.Node.ResolvedModels.Length > 1 ? context.Node.ResolvedModels[1] : Spec.Verifier?.Name ?? context.Model;
}
