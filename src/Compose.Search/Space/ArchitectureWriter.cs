using System.Globalization;
using System.Text;
using Compose.Language;

namespace Compose.Search.Space;

/// <summary>Writes an architecture as an ordinary pipeline file (models are bound from the space's models file).</summary>
public static class ArchitectureWriter
{
    public static string ToYaml(Architecture a, SearchSpace space, string name, string? header = null, bool withBudget = true)
    {
        var judge = space.Judge ?? a.Generators[0];
        var y = new StringBuilder();
        y.Append("# yaml-language-server: $schema=../schemas/pipeline.schema.json\n");
        y.Append(header ?? $"# Architecture {a.Key} of search space '{space.Name}'. Use it with the space's models file (--models).").Append('\n');
        y.Append("compose: 1\n");
        y.Append(CultureInfo.InvariantCulture, $"name: {name}\n");
        y.Append(CultureInfo.InvariantCulture, $"description: \"{a.Key}\"\n");
        y.Append(CultureInfo.InvariantCulture, $"defaults: {{ temperature: {a.Temperature:0.###}, max_tokens: {space.MaxTokens} }}\n");
        if (withBudget && (space.Budget.MaxCalls is not null || space.Budget.MaxTokens is not null))
        {
            var parts = new List<string>();
            if (space.Budget.MaxCalls is { } c)
            {
                parts.Add($"max_calls: {c}");
            }

            if (space.Budget.MaxTokens is { } t)
            {
                parts.Add($"max_tokens: {t}");
            }

            y.Append(CultureInfo.InvariantCulture, $"budget: {{ {string.Join(", ", parts)} }}\n");
        }

        y.Append("layers:\n");
        y.Append(CultureInfo.InvariantCulture, $"  - generate: {{ models: [{string.Join(", ", a.Generators)}], samples: {a.Samples} }}\n");
        if (a.Critique)
        {
            y.Append(CultureInfo.InvariantCulture, $"  - critique: {{ model: {judge} }}\n");
        }

        if (a.RankKeep > 0)
        {
            y.Append(CultureInfo.InvariantCulture, $"  - rank: {{ model: {judge}, keep: {a.RankKeep} }}\n");
        }

        for (var i = 0; i < a.FusionLayers; i++)
        {
            y.Append(CultureInfo.InvariantCulture, $"  - fuse: {{ model: {judge}, samples: {a.Fusers} }}\n");
        }

        switch (a.Final)
        {
            case "verify":
                y.Append(CultureInfo.InvariantCulture, $"  - verify: {{ model: {judge}, on_none: keep_all }}\n");
                break;
            case "unit_tests":
                y.Append(CultureInfo.InvariantCulture, $"  - unit_tests: {{ model: {judge}, count: 3, keep: 1 }}\n");
                break;
        }

        y.Append(CultureInfo.InvariantCulture, $"output: {space.Output}\n");
        return y.ToString();
    }

    /// <summary>Reads the YAML of an architecture into a pipeline spec with the space's models bound.</summary>
    public static (PipelineSpec? Spec, System.Collections.Immutable.ImmutableArray<Diagnostic> Diagnostics) ToSpec(Architecture a, SearchSpace space, bool withBudget = true)
    {
        var path = Path.Combine(space.BaseDirectory, "architecture.yaml");
        var read = PipelineReader.Read(ToYaml(a, space, "architecture", withBudget: withBudget), path);
        return read.Spec is null ? (null, read.Diagnostics) : (ModelsFileReader.Bind(read.Spec, space.Models), read.Diagnostics);
    }
}
