using System.Collections.Immutable;
using System.Globalization;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// A model critiques the candidates and each critique is attached to its own candidate: one call per candidate, side
/// by side (<c>mode: each</c>), or one call that sees them all and writes a section per candidate, each starting with
/// the candidate's identifier <c>[i]</c> (<c>mode: all</c>). When that reply cannot be split into one section per
/// candidate, every candidate gets the whole reply and the run says so.
/// </summary>
public sealed class Critique(CritiqueSpec spec) : ITechnique
{
    public CritiqueSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var input = context.Input;
        if (Spec.Mode == CritiqueMode.All)
        {
            return await All(context, input, cancellationToken).ConfigureAwait(false);
        }

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

    private static async Task<ImmutableArray<Candidate>> All(TechniqueContext context, ImmutableArray<Candidate> input, CancellationToken cancellationToken)
    {
        if (input.IsEmpty)
        {
            return input;
        }

        var data = context.NewPromptModel();
        data["candidates"] = CandidatePrompts.Candidates(input, withCritiques: false);
        var reply = await context.CallAsync(context.Model, "critique_all", 0, context.Render("critique_all", data), cancellationToken).ConfigureAwait(false);
        var sections = Split(reply.Text, input.Length);
        if (sections is null)
        {
            context.Report(new RunWarning(
                $"{context.NodeId}: the critique of all {input.Length} candidates could not be split into one section per candidate ([1] to [{input.Length}]); each candidate got the whole reply")
            { QuestionId = context.Question.Id });
        }

        return [.. input.Select((c, i) => c with
        {
            Critiques = c.Critiques.Add(new CandidateCritique(sections?[i] ?? reply.Text, context.NodeId, reply.Model)),
        })];
    }

    /// <summary>
    /// Splits a reply into <paramref name="count"/> sections at the identifiers <c>[1]</c> ... <c>[count]</c>, each found
    /// after the one before; null when one is missing or a section is empty.
    /// </summary>
    public static string[]? Split(string reply, int count)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var starts = new int[count + 1];
        var bodies = new int[count];
        var from = 0;
        for (var i = 0; i < count; i++)
        {
            var marker = "[" + (i + 1).ToString(CultureInfo.InvariantCulture) + "]";
            var at = reply.IndexOf(marker, from, StringComparison.Ordinal);
            if (at < 0)
            {
                return null;
            }

            starts[i] = at;
            bodies[i] = at + marker.Length;
            from = bodies[i];
        }

        starts[count] = reply.Length;
        var sections = new string[count];
        for (var i = 0; i < count; i++)
        {
            sections[i] = reply[bodies[i]..starts[i + 1]].Trim();
            if (sections[i].Length == 0)
            {
                return null;
            }
        }

        return sections;
    }
}
