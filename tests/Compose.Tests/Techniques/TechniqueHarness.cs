using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using Compose.Techniques;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Techniques;

internal static class TechniqueHarness
{
    public static SourceLocation At => new("test.yaml", 1, 1);

    public static Candidate Cand(string id, string text, params string[] critiques) => new()
    {
        Id = id,
        Text = text,
        Producer = "g",
        Critiques = [.. critiques.Select(c => new CandidateCritique(c, "c", "m"))],
    };

    public static ImmutableArray<Candidate> Cands(params string[] texts) =>
        [.. texts.Select((t, i) => Cand($"c{i}", t))];

    public static async Task<ImmutableArray<Candidate>> Run(
        TechniqueSpec spec,
        ImmutableArray<Candidate> input,
        IReadOnlyDictionary<string, IChatClient> models,
        string question = "What is 2+2?",
        long seed = 0,
        ITraceSink? trace = null)
    {
        var node = new GraphNode("n1", 0, spec, [.. models.Keys], input.Length, input.Length, CostBound.Zero);
        var definition = TechniqueCatalog.BuiltIn.For(spec);
        var (templates, problems) = PromptLibrary.Resolve(spec, definition.Templates, Directory.GetCurrentDirectory());
        Assert.Empty(problems);
        var context = new TechniqueContext(Question.FromText(question), node, input, templates, GenerationDefaults.Standard,
            models, seed, trace ?? NullTraceSink.Instance, ImmutableDictionary<string, ModelPrice>.Empty);
        return await ((ITechniqueFactory)definition).CreateFor(spec).RunAsync(context, CancellationToken.None);
    }

    public static Dictionary<string, IChatClient> One(IChatClient model) => new() { ["m"] = model };
}
