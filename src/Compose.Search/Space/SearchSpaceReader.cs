using System.Collections.Immutable;
using System.Globalization;
using Compose.IO;
using Compose.Language;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Compose.Search.Space;

/// <summary>
/// Reads a search-space file. Every problem comes back as a diagnostic located in the file.
/// <code>
/// search: 1
/// name: arith
/// models: arith-models.yaml        # a models file (pipeline syntax), relative to this file
/// judge: judge                     # the model of critique/rank/fuse/verify (default: first generator)
/// max_tokens: 256
/// axes:
///   generators: [[a], [b], [a, b]] # which models generate
///   samples: [1, 3, 5]             # samples per model
///   critique: [false, true]
///   rank_keep: [0, 3]              # 0: no rank layer
///   fusion_layers: [0, 1, 2]
///   fusers: [1, 2]                 # fusers per fusion layer
///   final: [none, verify, unit_tests]
///   temperature: { min: 0.0, max: 1.0, steps: 5 }   # or a list
/// budget: { max_calls: 20, max_tokens: 40000, max_cost: 0.01, prices: { a: { input: 0.15, output: 0.6 } } }   # as in a pipeline
/// output: vote                     # vote | first
/// </code>
/// </summary>
public static class SearchSpaceReader
{
    private static readonly string[] TopKeys = ["search", "name", "description", "models", "judge", "max_tokens", "axes", "budget", "output"];
    private static readonly string[] AxisKeys = ["generators", "samples", "critique", "rank_keep", "fusion_layers", "fusers", "final", "temperature"];
    private static readonly string[] Finals = ["none", "verify", "unit_tests"];

    /// <summary>
    /// Reads a search space within <paramref name="files"/>' bounds; the models file it names is confined to
    /// the space's folder tree (or a folder the policy allows).
    /// </summary>
    public static (SearchSpace? Space, ImmutableArray<Diagnostic> Diagnostics) ReadFile(string path, FileAccessPolicy? files = null)
    {
        files ??= FileAccessPolicy.Default;
        var (read, error) = SafeFile.ReadText(path, files, "search space");
        if (error is not null)
        {
            return (null, [error.Code == DiagnosticCodes.FileUnreadable
                ? Diagnostic.Error(SearchDiagnosticCodes.SpaceUnreadable, new SourceLocation(path, 0, 0), error.Message, "Check the path.")
                : error.ToDiagnostic(new SourceLocation(path, 0, 0))]);
        }

        var text = read!;

        var diagnostics = new List<Diagnostic>();
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode m)
            {
                return (null, [Diagnostic.Error(SearchDiagnosticCodes.SpaceBadValue, new SourceLocation(path, 1, 1), "a search space is a mapping with 'search: 1', 'axes:' and 'budget:'", "See examples/search/arith.space.yaml.")]);
            }

            root = m;
        }
        catch (YamlException ex)
        {
            return (null, [Diagnostic.Error(SearchDiagnosticCodes.SpaceUnreadable, new SourceLocation(path, (int)ex.Start.Line, (int)ex.Start.Column), $"not valid YAML: {ex.Message}", "Check indentation and quoting.")]);
        }

        var reader = new Reader(path, text, diagnostics, files);
        var space = reader.Read(root);
        return (diagnostics.Any(d => d.IsError) ? null : space, [.. diagnostics]);
    }

    private sealed class Reader(string path, string text, List<Diagnostic> diagnostics, FileAccessPolicy files)
    {
        private string BaseDirectory => Path.GetDirectoryName(Path.GetFullPath(path))!;

        public SearchSpace Read(YamlMappingNode root)
        {
            Unknown(root, TopKeys, "A search space takes");
            if (Get(root, "search") is not YamlScalarNode { Value: "1" })
            {
                Error(root, "the first key must be 'search: 1' (the format version)", "search: 1");
            }

            var models = ImmutableArray<ModelSpec>.Empty;
            string? modelsFile = null;
            if (Get(root, "models") is YamlScalarNode { Value: { } file } modelsNode)
            {
                var (full, outside) = SafePath.Confine(BaseDirectory, file, files, "models file");
                if (outside is not null)
                {
                    diagnostics.Add(outside.ToDiagnostic(At(modelsNode)));
                }
                else
                {
                    var (read, problems) = ModelsFileReader.ReadFile(full!, files);
                    diagnostics.AddRange(problems.Select(d => d.Location.Line == 0 ? d with { Location = At(modelsNode) } : d));
                    models = read;
                    modelsFile = full;
                }
            }
            else
            {
                Error(root, "'models:' must name a models file (pipeline syntax), relative to this file", "models: my-models.yaml");
            }

            var axes = Get(root, "axes") as YamlMappingNode;
            if (axes is null)
            {
                Error(root, "'axes:' is required", "axes: { generators: [[a], [a, b]], samples: [1, 3] }");
                axes = new YamlMappingNode();
            }

            Unknown(axes, AxisKeys, "Axes");
            var names = models.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
            var generators = ReadGenerators(Get(axes, "generators"), names, models);
            var final = Strings(Get(axes, "final"), ["none"]);
            foreach (var f in final.Where(f => !Finals.Contains(f)))
            {
                Error(Get(axes, "final")!, $"unknown final layer '{f}'", "final: [none, verify, unit_tests]");
            }

            var (temperatures, range) = ReadTemperatures(Get(axes, "temperature"));
            var judge = (Get(root, "judge") as YamlScalarNode)?.Value;
            if (judge is not null && !names.Contains(judge))
            {
                Error(Get(root, "judge")!, $"judge '{judge}' is not a model of the models file", $"Models: {string.Join(", ", names)}.");
            }

            var output = (Get(root, "output") as YamlScalarNode)?.Value ?? "vote";
            if (output is not "vote" and not "first")
            {
                Error(Get(root, "output")!, "output must be 'vote' or 'first'", "output: vote");
            }

            return new SearchSpace
            {
                Name = (Get(root, "name") as YamlScalarNode)?.Value ?? Path.GetFileNameWithoutExtension(path),
                SourceFile = Path.GetFullPath(path),
                BaseDirectory = BaseDirectory,
                Files = files,
                Models = models,
                ModelsFile = modelsFile,
                Judge = judge,
                MaxTokens = Get(root, "max_tokens") is { } mt ? Ints(new YamlSequenceNode(mt), [512], 1)[0] : 512,
                Generators = generators,
                Samples = Ints(Get(axes, "samples"), [1], 1),
                Critique = Bools(Get(axes, "critique")),
                RankKeep = Ints(Get(axes, "rank_keep"), [0], 0),
                FusionLayers = Ints(Get(axes, "fusion_layers"), [0], 0),
                Fusers = Ints(Get(axes, "fusers"), [1], 1),
                Final = final,
                Temperatures = temperatures,
                TemperatureRange = range,
                Budget = ReadBudget(Get(root, "budget")),
                Output = output,
            };
        }

        private ImmutableArray<ImmutableArray<string>> ReadGenerators(YamlNode? node, HashSet<string> names, ImmutableArray<ModelSpec> models)
        {
            if (node is null)
            {
                return models.IsEmpty ? [] : [[models[0].Name]];
            }

            if (node is not YamlSequenceNode seq || seq.Children.Count == 0)
            {
                Error(node, "generators must be a list of model lists", "generators: [[a], [b], [a, b]]");
                return [];
            }

            var result = ImmutableArray.CreateBuilder<ImmutableArray<string>>();
            foreach (var item in seq.Children)
            {
                var set = item is YamlSequenceNode s ? s.Children.OfType<YamlScalarNode>().Select(x => x.Value ?? "").ToImmutableArray()
                    : item is YamlScalarNode one ? [one.Value ?? ""] : [];
                if (set.IsEmpty)
                {
                    Error(item, "each generators entry is a model name or a list of model names", "generators: [[a], [a, b]]");
                    continue;
                }

                foreach (var unknown in set.Where(n => !names.Contains(n)))
                {
                    Error(item, $"model '{unknown}' is not in the models file", $"Models: {string.Join(", ", names)}.");
                }

                result.Add(set);
            }

            return result.ToImmutable();
        }

        private (ImmutableArray<double> Values, (double, double) Range) ReadTemperatures(YamlNode? node)
        {
            if (node is YamlMappingNode range)
            {
                var min = Number(Get(range, "min"), 0);
                var max = Number(Get(range, "max"), 1);
                var steps = (int)Number(Get(range, "steps"), 5);
                if (min < 0 || max > 2 || min > max || steps < 1 || steps > 50)
                {
                    Error(node, "temperature range needs 0 <= min <= max <= 2 and 1 <= steps <= 50", "temperature: { min: 0.0, max: 1.0, steps: 5 }");
                    return ([0.7], (0, 1));
                }

                var values = steps == 1 ? [min] : Enumerable.Range(0, steps).Select(i => Math.Round(min + ((max - min) * i / (steps - 1)), 4)).ToImmutableArray();
                return (values, (min, max));
            }

            var list = Doubles(node, [0.7]);
            return (list, (list.Min(), list.Max()));
        }

        // The budget is the pipeline language's: same keys, ranges, price syntax and diagnostic codes (BudgetReader).
        // What is the search's own: a space must have one, and it must limit something.
        private BudgetSpec ReadBudget(YamlNode? node)
        {
            if (node is null or YamlScalarNode { Value: null or "" or "~" or "null" or "Null" or "NULL" })
            {
                Error(node ?? new YamlMappingNode(), "'budget:' is required: the per-question limit no architecture may exceed", "budget: { max_calls: 20 }");
                return BudgetSpec.Unlimited;
            }

            var (budget, found) = BudgetReader.ReadTopLevel(text, path);
            diagnostics.AddRange(found);
            if (budget is null || found.Any(d => d.IsError))
            {
                return budget ?? BudgetSpec.Unlimited;
            }

            if (budget.IsUnlimited)
            {
                Error(node, "the budget needs max_calls, max_tokens or max_cost", "budget: { max_calls: 20 }");
            }

            return budget;
        }

        private ImmutableArray<int> Ints(YamlNode? node, ImmutableArray<int> fallback, int min) =>
            [.. Doubles(node, [.. fallback.Select(x => (double)x)]).Select(d =>
            {
                if (d != Math.Floor(d) || d < min || d > 1000)
                {
                    Error(node!, $"'{d}' must be a whole number from {min} to 1000", "samples: [1, 3, 5]");
                }

                return (int)d;
            }).Distinct()];

        private ImmutableArray<double> Doubles(YamlNode? node, ImmutableArray<double> fallback)
        {
            if (node is null)
            {
                return fallback;
            }

            var items = node is YamlSequenceNode s ? s.Children : [node];
            var values = ImmutableArray.CreateBuilder<double>();
            foreach (var item in items)
            {
                values.Add(Number(item, 0));
            }

            if (values.Count == 0)
            {
                Error(node, "the list must not be empty", "samples: [1, 3]");
                return fallback;
            }

            return values.ToImmutable();
        }

        private ImmutableArray<bool> Bools(YamlNode? node)
        {
            var values = Strings(node, ["false"]);
            return [.. values.Select(v => v switch
            {
                "true" or "on" or "yes" => true,
                "false" or "off" or "no" => false,
                _ => Fail(v),
            }).Distinct()];

            bool Fail(string v)
            {
                Error(node!, $"'{v}' is not true or false", "critique: [false, true]");
                return false;
            }
        }

        private ImmutableArray<string> Strings(YamlNode? node, ImmutableArray<string> fallback) =>
            node switch
            {
                null => fallback,
                YamlSequenceNode s when s.Children.Count > 0 => [.. s.Children.OfType<YamlScalarNode>().Select(x => x.Value ?? "").Distinct()],
                YamlScalarNode one => [one.Value ?? ""],
                _ => Empty(node, fallback),
            };

        private ImmutableArray<string> Empty(YamlNode node, ImmutableArray<string> fallback)
        {
            Error(node, "the list must not be empty", "final: [none, verify]");
            return fallback;
        }

        private double Number(YamlNode? node, double fallback)
        {
            if (node is null)
            {
                return fallback;
            }

            if (node is YamlScalarNode { Value: { } v } && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            {
                return d;
            }

            Error(node, "expected a number", "for example 3 or 0.7");
            return fallback;
        }

        private void Unknown(YamlMappingNode map, string[] known, string what)
        {
            foreach (var key in map.Children.Keys.OfType<YamlScalarNode>().Where(k => !known.Contains(k.Value)))
            {
                diagnostics.Add(Diagnostic.Error(SearchDiagnosticCodes.SpaceUnknownKey, At(key), $"unknown key '{key.Value}'", $"{what}: {string.Join(", ", known)}."));
            }
        }

        private static YamlNode? Get(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        private void Error(YamlNode node, string message, string hint) =>
            diagnostics.Add(Diagnostic.Error(SearchDiagnosticCodes.SpaceBadValue, At(node), message, hint));

        private SourceLocation At(YamlNode node) => new(path, (int)Math.Max(1, node.Start.Line), (int)Math.Max(1, node.Start.Column));
    }
}
