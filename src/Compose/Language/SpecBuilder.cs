using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Compose.Language;

/// <summary>
/// Turns the located YAML tree into a <see cref="PipelineSpec"/>, reporting every problem it finds and
/// going on with a best-effort spec (a bad value falls back to its default, a bad piece is skipped).
/// </summary>
internal sealed partial class SpecBuilder(string file, List<Diagnostic> diagnostics, TechniqueSet techniques)
{
    private readonly List<Diagnostic> _diagnostics = diagnostics;
    private readonly TechniqueSet _techniques = techniques;
    private readonly Dictionary<YNode, SpecNode> _converted = new(ReferenceEqualityComparer.Instance);

    /// <summary>False when an error was found inside <c>layers:</c> (so their shape may be incomplete).</summary>
    public bool LayersIntact { get; private set; } = true;

    public PipelineSpec? Build(YNode? root)
    {
        if (root is null || root is YScalar { IsNull: true })
        {
            Error(DiagnosticCodes.EmptyFile, root?.Location ?? new SourceLocation(file, 1, 1), "the pipeline file is empty", "start with 'compose: 1', 'name:' and 'layers:'");
            return null;
        }

        if (root is not YMapping top)
        {
            Error(DiagnosticCodes.WrongType, root.Location, $"a pipeline file must be a mapping of keys (compose, name, layers...), got {root.Describe()}", "start with 'compose: 1', 'name:' and 'layers:'");
            return null;
        }

        var fields = Fields(top, PipelineKeys.Top, "the pipeline");

        var version = 1;
        if (fields.TryGetValue("compose", out var compose))
        {
            if (Int(compose.Value, "compose", int.MinValue, int.MaxValue) is { } v)
            {
                version = v;
                if (v != 1)
                {
                    Error(DiagnosticCodes.UnknownVersion, compose.Value.Location, $"unknown format version {v}; this Compose reads version 1", "write 'compose: 1'");
                }
            }
        }
        else
        {
            Error(DiagnosticCodes.MissingKey, top.Location, "missing 'compose:' (the format version)", "add 'compose: 1' as the first key");
        }

        var name = "";
        if (fields.TryGetValue("name", out var nameEntry))
        {
            name = Text(nameEntry.Value, "name") ?? "";
        }
        else
        {
            Error(DiagnosticCodes.MissingKey, top.Location, "missing 'name:'", "add 'name: my-pipeline'");
        }

        var description = fields.TryGetValue("description", out var descriptionEntry) && descriptionEntry.Value is not YScalar { IsNull: true }
            ? Text(descriptionEntry.Value, "description")
            : null;

        var models = fields.TryGetValue("models", out var modelsEntry) ? ReadModels(modelsEntry.Value) : [];
        var defaults = fields.TryGetValue("defaults", out var defaultsEntry) ? ReadDefaults(defaultsEntry.Value) : GenerationDefaults.Standard;
        var budget = fields.TryGetValue("budget", out var budgetEntry) ? ReadBudget(budgetEntry.Value) : BudgetSpec.Unlimited;

        var errorsBeforeLayers = ErrorCount;
        ImmutableArray<LayerSpec> layers = [];
        if (fields.TryGetValue("layers", out var layersEntry))
        {
            layers = ReadLayers(layersEntry);
        }
        else
        {
            Error(DiagnosticCodes.MissingKey, top.Location, "missing 'layers:'", "add 'layers:' with at least one '- generate: {...}'");
        }

        LayersIntact = ErrorCount == errorsBeforeLayers;

        var output = fields.TryGetValue("output", out var outputEntry) ? ReadOutput(outputEntry.Value) : OutputSpec.First;

        return new PipelineSpec
        {
            Version = version,
            Name = name,
            Description = description,
            SourceFile = file,
            Models = models,
            Defaults = defaults,
            Budget = budget,
            Layers = layers,
            Output = output,
            Location = top.Location,
        };
    }

    private ImmutableArray<ModelSpec> ReadModels(YNode node)
    {
        if (node is YScalar { IsNull: true })
        {
            return [];
        }

        if (Mapping(node, "models", "write models as NAME: { provider: ..., ... }") is not { } mapping)
        {
            return [];
        }

        var models = ImmutableArray.CreateBuilder<ModelSpec>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in mapping.Entries)
        {
            if (!CheckKey(entry, out var name))
            {
                continue;
            }

            if (!seen.Add(name))
            {
                Error(DiagnosticCodes.DuplicateKey, entry.Key.Location, $"model '{name}' is defined twice", "remove or rename one of them; the first one is used");
                continue;
            }

            if (!ModelName().IsMatch(name))
            {
                Error(DiagnosticCodes.InvalidName, entry.Key.Location, $"'{name}' is not a valid model name", "a model name starts with a letter and holds letters, digits, '_', '.' and '-'");
            }

            models.Add(ReadModel(name, entry));
        }

        return models.ToImmutable();
    }

    private ModelSpec ReadModel(string name, YEntry entry)
    {
        var empty = new SpecMapping([], entry.Value.Location);
        if (Mapping(entry.Value, $"model '{name}'", "write NAME: { provider: ..., ... }") is not { } mapping)
        {
            return new ModelSpec(name, "", empty, entry.Key.Location);
        }

        var options = ToSpecMapping(mapping, $"model '{name}'", PipelineKeys.Model);
        var provider = "";
        var providerLocation = SourceLocation.None;
        int? concurrency = null;
        var providerEntry = mapping.Entries.FirstOrDefault(e => e.Name == "provider");
        if (providerEntry is null)
        {
            Error(DiagnosticCodes.MissingKey, mapping.Location, $"model '{name}' has no 'provider:'", "add 'provider: NAME' (the kind of model: openai, onnx, ...)");
        }
        else
        {
            provider = Text(providerEntry.Value, "provider") ?? "";
            providerLocation = providerEntry.Value.Location;
        }

        if (mapping.Entries.FirstOrDefault(e => e.Name == "concurrency") is { } concurrencyEntry)
        {
            concurrency = Int(concurrencyEntry.Value, "concurrency", 1, int.MaxValue);
        }

        return new ModelSpec(name, provider, options, entry.Key.Location) { Concurrency = concurrency, ProviderLocation = providerLocation };
    }

    private GenerationDefaults ReadDefaults(YNode node)
    {
        var result = GenerationDefaults.Standard with { Location = node.Location };
        if (node is YScalar { IsNull: true } || Mapping(node, "defaults") is not { } mapping)
        {
            return result;
        }

        var fields = Fields(mapping, PipelineKeys.Defaults, "defaults");
        if (fields.TryGetValue("model", out var model) && Text(model.Value, "defaults.model") is { } modelName)
        {
            result = result with { Model = modelName, ModelLocation = model.Value.Location };
        }

        if (fields.TryGetValue("temperature", out var temperature) && Double(temperature.Value, "temperature", 0, 2) is { } t)
        {
            result = result with { Temperature = t };
        }

        if (fields.TryGetValue("max_tokens", out var maxTokens) && Int(maxTokens.Value, "max_tokens", 1, 1_000_000) is { } m)
        {
            result = result with { MaxTokens = m };
        }

        if (fields.TryGetValue("top_p", out var topP) && Double(topP.Value, "top_p", 0, 1, minExclusive: true) is { } p)
        {
            result = result with { TopP = p };
        }

        if (fields.TryGetValue("stop", out var stop))
        {
            result = result with { Stop = ReadStop(stop.Value) };
        }

        if (fields.TryGetValue("system", out var system) && Text(system.Value, "system") is { } s)
        {
            result = result with { System = s };
        }

        if (fields.TryGetValue("input_tokens", out var inputTokens) && Int(inputTokens.Value, "input_tokens", 1, int.MaxValue) is { } i)
        {
            result = result with { InputTokens = i };
        }

        return result;
    }

    private ImmutableArray<string> ReadStop(YNode node)
    {
        if (node is YScalar)
        {
            return Text(node, "stop") is { } single ? [single] : [];
        }

        if (node is not YSequence sequence)
        {
            Error(DiagnosticCodes.WrongType, node.Location, $"stop must be a list of texts, got {node.Describe()}", "write stop: [\"\\n\\n\"]");
            return [];
        }

        var stops = ImmutableArray.CreateBuilder<string>();
        foreach (var item in sequence.Items)
        {
            if (Text(item, "a stop sequence") is { } text)
            {
                stops.Add(text);
            }
        }

        return stops.ToImmutable();
    }

    internal BudgetSpec ReadBudget(YNode node)
    {
        var result = BudgetSpec.Unlimited with { Location = node.Location };
        if (node is YScalar { IsNull: true } || Mapping(node, "budget") is not { } mapping)
        {
            return result;
        }

        var fields = Fields(mapping, PipelineKeys.Budget, "budget");
        if (fields.TryGetValue("max_calls", out var calls) && Int(calls.Value, "max_calls", 1, int.MaxValue) is { } c)
        {
            result = result with { MaxCalls = c, MaxCallsLocation = calls.Value.Location };
        }

        if (fields.TryGetValue("max_tokens", out var tokens) && Long(tokens.Value, "max_tokens", 1, long.MaxValue) is { } t)
        {
            result = result with { MaxTokens = t, MaxTokensLocation = tokens.Value.Location };
        }

        if (fields.TryGetValue("max_cost", out var cost) && Money(cost.Value, "max_cost") is { } m)
        {
            result = result with { MaxCost = m, MaxCostLocation = cost.Value.Location };
        }

        if (fields.TryGetValue("prices", out var prices) && prices.Value is not YScalar { IsNull: true }
            && Mapping(prices.Value, "prices", "write prices: { MODEL: { input: 0.15, output: 0.6 } }") is { } priceMap)
        {
            var builder = ImmutableDictionary.CreateBuilder<string, ModelPrice>(StringComparer.Ordinal);
            foreach (var entry in priceMap.Entries)
            {
                if (!CheckKey(entry, out var model))
                {
                    continue;
                }

                if (builder.ContainsKey(model))
                {
                    Error(DiagnosticCodes.DuplicateKey, entry.Key.Location, $"duplicate price for model '{model}'", "remove one of the two; the first one is used");
                    continue;
                }

                if (ReadPrice(model, entry) is { } price)
                {
                    builder[model] = price;
                }
            }

            result = result with { Prices = builder.ToImmutable() };
        }

        return result;
    }

    private ModelPrice? ReadPrice(string model, YEntry entry)
    {
        if (Mapping(entry.Value, $"the price of '{model}'", "write MODEL: { input: 0.15, output: 0.6 } (per 1,000 tokens)") is not { } mapping)
        {
            return null;
        }

        var fields = Fields(mapping, PipelineKeys.Price, $"the price of '{model}'");
        decimal? input = null;
        decimal? output = null;
        foreach (var key in PipelineKeys.Price)
        {
            if (!fields.TryGetValue(key, out var field))
            {
                Error(DiagnosticCodes.MissingKey, mapping.Location, $"the price of '{model}' has no '{key}:'", "give both input: and output: (per 1,000 tokens)");
                continue;
            }

            var value = Money(field.Value, $"{key} price");
            if (key == "input")
            {
                input = value;
            }
            else
            {
                output = value;
            }
        }

        return input is { } i && output is { } o ? new ModelPrice(i, o, entry.Key.Location) : null;
    }

    private OutputSpec ReadOutput(YNode node)
    {
        SelectionKind[] kinds = [SelectionKind.First, SelectionKind.Vote, SelectionKind.BestScore, SelectionKind.BestLogProb];
        if (node is YScalar)
        {
            var kind = Word(node, "output", PipelineKeys.Selections, kinds) ?? SelectionKind.First;
            return new OutputSpec(kind, null, TieBreak.First, node.Location);
        }

        if (Mapping(node, "output", "write output: first | vote | best_score | best_logprob, or output: { select: vote, extract: '...' }") is not { } mapping)
        {
            return OutputSpec.First;
        }

        var fields = Fields(mapping, PipelineKeys.Output, "output");
        var select = fields.TryGetValue("select", out var selectEntry)
            ? Word(selectEntry.Value, "select", PipelineKeys.Selections, kinds) ?? SelectionKind.First
            : SelectionKind.First;
        var extract = fields.TryGetValue("extract", out var extractEntry) ? Pattern(extractEntry.Value, "extract", needsGroup: true) : null;
        var tieBreak = fields.TryGetValue("tie_break", out var tieEntry)
            ? Word(tieEntry.Value, "tie_break", PipelineKeys.TieBreaks, [TieBreak.First, TieBreak.Score, TieBreak.Shortest]) ?? TieBreak.First
            : TieBreak.First;
        if (select != SelectionKind.Vote)
        {
            foreach (var unused in new[] { extractEntry, tieEntry }.OfType<YEntry>())
            {
                Warning(DiagnosticCodes.UnusedOption, unused.Key.Location, $"'{unused.Name}' only applies to 'select: vote' and is ignored", "remove it or write 'select: vote'");
            }
        }

        return new OutputSpec(select, extract, tieBreak, mapping.Location);
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]*$")]
    private static partial Regex ModelName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*$")]
    private static partial Regex Identifier();
}
