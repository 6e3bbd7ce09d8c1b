using System.Globalization;
using System.Text;
using Compose.Language;

namespace Compose.Search.Space;

/// <summary>Writes an architecture as an ordinary pipeline file (models are bound from the space's models file).</summary>
public static class ArchitectureWriter
{
    /// <summary>
    /// The architecture as a pipeline file that validates and runs on its own, written into <paramref name="folder"/>:
    /// the space's models file is copied in (its <c>models:</c> is pipeline syntax; relative paths in it are
    /// rewritten to stay valid from the new folder), and the <c>$schema</c> comment points at the repository's
    /// schema from there when one is found above the space.
    /// </summary>
    public static string ToStandaloneYaml(Architecture a, SearchSpace space, string name, string header, string folder)
    {
        var schema = FindSchema(space.BaseDirectory) is { } found ? Path.GetRelativePath(folder, found).Replace('\\', '/') : null;
        var y = new StringBuilder(ToYaml(a, space, name, header, schema: schema));
        if (space.Models.FirstOrDefault()?.Location.File is { Length: > 0 } modelsFile && File.Exists(modelsFile))
        {
            var modelsFolder = Path.GetDirectoryName(Path.GetFullPath(modelsFile))!;
            y.Append("# The models of the search space (from ").Append(Path.GetRelativePath(folder, modelsFile).Replace('\\', '/')).Append(")\n");
            foreach (var line in File.ReadLines(modelsFile).Where(l => !l.StartsWith("# yaml-language-server", StringComparison.Ordinal)))
            {
                y.Append(RebasePath(line, modelsFolder, folder)).Append('\n');
            }
        }

        return y.ToString();
    }

    /// <summary>A <c>path: X</c> value relative to <paramref name="from"/>, rewritten relative to <paramref name="to"/>.</summary>
    private static string RebasePath(string line, string from, string to)
    {
        var match = System.Text.RegularExpressions.Regex.Match(line, @"\bpath:\s*(?<q>[""']?)(?<p>[^""',}\s]+)\k<q>", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        if (!match.Success || Path.IsPathRooted(match.Groups["p"].Value))
        {
            return line;
        }

        var rebased = Path.GetRelativePath(to, Path.GetFullPath(match.Groups["p"].Value, from)).Replace('\\', '/');
        return line[..match.Groups["p"].Index] + rebased + line[(match.Groups["p"].Index + match.Groups["p"].Length)..];
    }

    private static string? FindSchema(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "schemas", "pipeline.schema.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static string ToYaml(Architecture a, SearchSpace space, string name, string? header = null, bool withBudget = true, string? schema = "../schemas/pipeline.schema.json")
    {
        var judge = space.Judge ?? a.Generators[0];
        var y = new StringBuilder();
        if (schema is not null)
        {
            y.Append(CultureInfo.InvariantCulture, $"# yaml-language-server: $schema={schema}\n");
        }

        y.Append(header ?? $"# Architecture {a.Key} of search space '{space.Name}'. Use it with the space's models file (--models).").Append('\n');
        y.Append("compose: 1\n");
        y.Append(CultureInfo.InvariantCulture, $"name: {name}\n");
        y.Append(CultureInfo.InvariantCulture, $"description: \"{a.Key}\"\n");
        y.Append(CultureInfo.InvariantCulture, $"defaults: {{ temperature: {a.Temperature:0.###}, max_tokens: {space.MaxTokens} }}\n");
        // The limits when asked for; the prices of the models this architecture calls always, so its cost is bounded (a
        // price for a model it does not call would name an undefined model).
        {
            var parts = new List<string>();
            if (withBudget && space.Budget.MaxCalls is { } c)
            {
                parts.Add($"max_calls: {c}");
            }

            if (withBudget && space.Budget.MaxTokens is { } t)
            {
                parts.Add($"max_tokens: {t}");
            }

            if (withBudget && space.Budget.MaxCost is { } cost)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"max_cost: {cost}"));
            }

            var used = a.Generators.Append(judge).ToHashSet(StringComparer.Ordinal);
            var prices = space.Budget.Prices.Where(p => used.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}: {{ input: {p.Value.InputPer1K}, output: {p.Value.OutputPer1K} }}"))
                .ToList();
            if (prices.Count > 0)
            {
                parts.Add($"prices: {{ {string.Join(", ", prices)} }}");
            }

            if (parts.Count > 0)
            {
                y.Append(CultureInfo.InvariantCulture, $"budget: {{ {string.Join(", ", parts)} }}\n");
            }
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
