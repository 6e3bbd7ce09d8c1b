using System.Globalization;
using System.Text;

namespace Compose.Import;

/// <summary>Writes an <see cref="ArchonPlan"/> as a commented pipeline file.</summary>
internal static class ArchonPipelineWriter
{
    public static string Write(ArchonPlan plan, string name, string source)
    {
        var y = new StringBuilder();
        y.Append("# Imported by `compose import archon` from the Archon architecture ").Append(source.ReplaceLineEndings(" ")).Append('\n');
        y.Append(Yaml.Comment(
            "Each Archon layer becomes a layer here (docs/archon.md has the mapping and the calls each component makes): " +
            "generator -> generate, critic -> critique (mode: all, one call for all candidates), ranker -> rank (listwise; PairRM -> pairwise), " +
            "fuser -> fuse, verifier -> verify (reasoning: true, two calls per candidate), unit_test_generator + unit_test_evaluator -> unit_tests.\n" +
            $"Archon makes {Calls(plan.ArchonCalls)} per question for this architecture; this pipeline's static bound (compose graph) is {Calls(plan.PipelineCalls)}" +
            (plan.Differences.IsEmpty ? ", the same." : ". The differences: " + string.Join("; ", plan.Differences) + ".") +
            "\nWhat Compose adds: the budget below caps the calls at that bound, every call is seeded, traced and counted, and the final pick is explicit (output:)."));
        y.Append("compose: 1\n");
        y.Append("name: ").Append(Yaml.Quote(name)).Append('\n');
        y.Append("description: ").Append(Yaml.Quote($"Archon's '{name}', imported from {source}.")).Append('\n');
        y.Append('\n');
        WriteModels(y, plan);
        y.Append('\n');
        y.Append("defaults: { temperature: ").Append(Yaml.Number(plan.Temperature)).Append(", max_tokens: ").Append(plan.MaxTokens.ToString(CultureInfo.InvariantCulture)).Append(" }\n");
        y.Append(Yaml.Comment("Archon has no budget; this one stops a question that would make more calls than the bound."));
        y.Append("budget: { max_calls: ").Append(plan.PipelineCalls.ToString(CultureInfo.InvariantCulture)).Append(" }\n");
        y.Append('\n');
        y.Append("layers:\n");
        foreach (var layer in plan.Layers)
        {
            y.Append(Yaml.Comment(layer.Comment, "  "));
            if (layer.Techniques.Length == 1)
            {
                y.Append("  - ").Append(Technique(layer.Techniques[0])).Append('\n');
            }
            else
            {
                y.Append("  - ").Append(Yaml.Comment("side by side: each reads the layer before, their candidates are concatenated", "").TrimEnd('\n').TrimStart()).Append('\n');
                foreach (var t in layer.Techniques)
                {
                    y.Append("    - ").Append(Technique(t)).Append('\n');
                }
            }
        }

        y.Append('\n');
        y.Append(Yaml.Comment(
            "Archon returns a random one of the candidates its last layer leaves (random.choice). Compose picks explicitly: " +
            "'first' is the first of them, the best-ranked after a rank and the fused answer after a single fuser. " +
            "Other choices: vote (the most frequent answer), best_score."));
        y.Append("output: first\n");
        return y.ToString();
    }

    private static void WriteModels(StringBuilder y, ArchonPlan plan)
    {
        y.Append("models:\n");
        foreach (var group in plan.Models.GroupBy(m => m.Type.Name))
        {
            var type = group.First().Type;
            var keys = type.KeyVariable is null ? "no key variable" : $"the key in ${type.KeyVariable}";
            y.Append(Yaml.Comment($"model_type {type.Name}: {type.Note} ({keys})", "  "));
            foreach (var m in group)
            {
                var baseUrl = type.BaseUrl ?? m.ArchonModel;
                var model = type.Name == "tgi" ? "tgi" : m.ArchonModel;
                y.Append("  ").Append(Yaml.Text(m.Name)).Append(": { provider: openai, model: ").Append(Yaml.Quote(model))
                    .Append(", base_url: ").Append(Yaml.Quote(baseUrl));
                if (type.KeyVariable is not null)
                {
                    y.Append(", api_key_env: ").Append(type.KeyVariable);
                }

                y.Append(" }\n");
            }
        }
    }

    private static string Technique(PlannedTechnique t) =>
        t.Options.IsEmpty
            ? $"{t.Key}: {{}}"
            : $"{t.Key}: {{ {string.Join(", ", t.Options.Select(o => $"{o.Key}: {o.Value}"))} }}";

    private static string Calls(int n) => n == 1 ? "1 model call" : $"{n.ToString(CultureInfo.InvariantCulture)} model calls";
}
