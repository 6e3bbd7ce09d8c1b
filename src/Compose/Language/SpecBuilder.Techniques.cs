using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>Reading <c>layers:</c> and the options of each technique.</summary>
internal sealed partial class SpecBuilder
{
    private ImmutableArray<LayerSpec> ReadLayers(YEntry entry)
    {
        if (entry.Value is not YSequence sequence)
        {
            Error(DiagnosticCodes.WrongType, entry.Value.Location, $"layers must be a list of layers, got {entry.Value.Describe()}", "write layers:\n  - generate: { samples: 5 }");
            return [];
        }

        if (sequence.Items.Length == 0)
        {
            Error(DiagnosticCodes.EmptyLayer, entry.Key.Location, "layers lists no layer", "add at least one layer, e.g. '- generate: {}'");
            return [];
        }

        var layers = ImmutableArray.CreateBuilder<LayerSpec>();
        foreach (var item in sequence.Items)
        {
            var techniques = ImmutableArray.CreateBuilder<TechniqueSpec>();
            switch (item)
            {
                case YMapping mapping:
                    ReadLayerMapping(mapping, techniques);
                    break;
                case YSequence sideBySide:
                    if (sideBySide.Items.Length == 0)
                    {
                        Error(DiagnosticCodes.EmptyLayer, sideBySide.Location, "this side-by-side layer lists no technique", "list techniques: [ { rank: {} }, { vote: {} } ], or remove the layer");
                    }

                    foreach (var part in sideBySide.Items)
                    {
                        if (part is YMapping partMapping)
                        {
                            ReadLayerMapping(partMapping, techniques);
                        }
                        else
                        {
                            Error(DiagnosticCodes.WrongType, part.Location, $"a technique must be a mapping like '{{ rank: {{ keep: 3 }} }}', got {part.Describe()}");
                        }
                    }

                    break;
                default:
                    var hint = item is YScalar { IsPlain: true } word && _techniques.TryGetSyntax(word.Value, out _)
                        ? $"write '- {word.Value}: {{}}'"
                        : "write '- TECHNIQUE: { options }' or '- [ { A: {} }, { B: {} } ]'";
                    Error(DiagnosticCodes.WrongType, item.Location, $"a layer must be a technique or a list of techniques, got {item.Describe()}", hint);
                    break;
            }

            if (techniques.Count > 0)
            {
                layers.Add(new LayerSpec(techniques.ToImmutable(), item.Location));
            }
        }

        return layers.ToImmutable();
    }

    /// <summary>A mapping in a layer holds exactly one technique key.</summary>
    private void ReadLayerMapping(YMapping mapping, ImmutableArray<TechniqueSpec>.Builder techniques)
    {
        if (mapping.Entries.Length == 0)
        {
            Error(DiagnosticCodes.EmptyLayer, mapping.Location, "this layer names no technique", $"write one of: {string.Join(", ", _techniques.Keys)}");
            return;
        }

        var first = mapping.Entries[0];
        if (ReadTechnique(first) is { } technique)
        {
            techniques.Add(technique);
        }

        var firstName = first.Name ?? "";
        foreach (var extra in mapping.Entries.Skip(1))
        {
            if (!CheckKey(extra, out var name))
            {
                continue;
            }

            if (_techniques.TryGetSyntax(firstName, out var firstDefinition) && (firstDefinition.Options.Any(o => o.Name == name) || PipelineKeys.Common.Contains(name)))
            {
                Error(
                    DiagnosticCodes.LayerShape,
                    extra.Key.Location,
                    $"'{name}' is an option of '{firstName}' but is written beside it, not under it",
                    $"indent it under '{firstName}:' (or write '{firstName}: {{ {name}: ... }}')");
            }
            else if (_techniques.TryGetSyntax(name, out _))
            {
                Error(
                    DiagnosticCodes.LayerShape,
                    extra.Key.Location,
                    $"a layer entry holds one technique, but '{name}' follows '{firstName}'",
                    $"make it its own layer ('- {name}: ...'), or run them side by side: '- [ {{ {firstName}: ... }}, {{ {name}: ... }} ]'");
            }
            else
            {
                Error(DiagnosticCodes.LayerShape, extra.Key.Location, $"unexpected key '{name}' beside technique '{firstName}'", "a layer entry holds exactly one technique key; options go under it");
            }
        }
    }

    private TechniqueSpec? ReadTechnique(YEntry entry)
    {
        if (!CheckKey(entry, out var kind))
        {
            return null;
        }

        if (!_techniques.TryGetSyntax(kind, out var definition))
        {
            Error(DiagnosticCodes.UnknownTechnique, entry.Key.Location, $"unknown technique '{kind}'", DidYouMean.Hint(kind, [.. _techniques.Keys], "techniques"));
            return null;
        }

        YMapping options;
        if (entry.Value is YScalar { IsNull: true })
        {
            options = new YMapping([], entry.Value.Location);
        }
        else if (Mapping(entry.Value, $"the options of '{kind}'", $"write '{kind}: {{ option: value }}' or '{kind}: {{}}'") is { } mapping)
        {
            options = mapping;
        }
        else
        {
            return null;
        }

        var fields = Fields(options, [.. PipelineKeys.Common, .. definition.Options.Select(o => o.Name)], $"'{kind}'");
        var location = entry.Key.Location;
        var errors = ErrorCount;
        TechniqueSpec? technique;
        try
        {
            technique = definition.ReadSpec(new TechniqueReader(this, fields, kind, location));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException && TechniqueFailure.IsExternal(definition))
        {
            _diagnostics.Add(TechniqueFailure.Of(kind, definition, "reading its options", exception, location));
            return null;
        }

        if (technique is null || technique.Kind != kind || !definition.SpecType.IsInstanceOfType(technique))
        {
            if (technique is not null || ErrorCount == errors)
            {
                Error(
                    DiagnosticCodes.TechniqueFailed,
                    location,
                    technique is null
                        ? $"technique '{kind}' read no options and reported no problem"
                        : $"technique '{kind}' read a spec of kind '{technique.Kind}' ({technique.GetType().Name}), not '{kind}' ({definition.SpecType.Name})",
                    TechniqueFailure.Hint);
            }

            return null;
        }

        return technique with
        {
            Id = ReadId(fields),
            Temperature = fields.TryGetValue("temperature", out var temperature) ? Double(temperature.Value, "temperature", 0, 2) : null,
            MaxTokens = IntOf(fields, "max_tokens", 1, 1_000_000),
            Prompts = ReadPrompts(kind, definition.TemplateNames, fields),
        };
    }

    /// <summary>A list of model names (a technique's <c>models:</c>); null when it is not a list.</summary>
    internal ImmutableArray<ModelRef>? ModelList(YEntry list, string? single)
    {
        if (list.Value is not YSequence sequence)
        {
            var hint = list.Value is YScalar { IsNull: false } one
                ? single is null ? $"write '{list.Name}: [{one.Value}]'" : $"write '{list.Name}: [{one.Value}]' or '{single}: {one.Value}'"
                : null;
            Error(DiagnosticCodes.WrongType, list.Value.Location, $"{list.Name} must be a list of model names, got {list.Value.Describe()}", hint);
            return null;
        }

        if (sequence.Items.Length == 0)
        {
            Error(DiagnosticCodes.MissingOption, list.Value.Location, $"'{list.Name}' lists no model", "name at least one model, or remove 'models' to use the default model");
        }

        var models = ImmutableArray.CreateBuilder<ModelRef>();
        foreach (var item in sequence.Items)
        {
            if (Text(item, "a model name") is { } name)
            {
                models.Add(new ModelRef(name, item.Location));
            }
        }

        return models.ToImmutable();
    }

    /// <summary>A list of texts (a technique's own list option); null when it is not a list or an item is not a text.</summary>
    internal ImmutableArray<string>? TextList(YEntry list)
    {
        if (list.Value is not YSequence sequence)
        {
            var hint = list.Value is YScalar { IsNull: false } one ? $"write '{list.Name}: [{one.Value}]'" : null;
            Error(DiagnosticCodes.WrongType, list.Value.Location, $"{list.Name} must be a list of texts, got {list.Value.Describe()}", hint);
            return null;
        }

        var texts = ImmutableArray.CreateBuilder<string>(sequence.Items.Length);
        var usable = true;
        foreach (var item in sequence.Items)
        {
            if (Text(item, $"an item of {list.Name}") is { } text)
            {
                texts.Add(text);
            }
            else
            {
                usable = false;
            }
        }

        return usable ? texts.MoveToImmutable() : null;
    }

    internal CheckSpec? CheckOf(Dictionary<string, YEntry> fields, string key)
    {
        if (!fields.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (Mapping(entry.Value, "check", "write check: { regex: '...' }, { number: true }, { number: 42 } or { has_answer: true }") is not { } mapping)
        {
            return null;
        }

        var checks = Fields(mapping, PipelineKeys.Check, "check");
        if (checks.Count == 0)
        {
            if (mapping.Entries.Length == 0)
            {
                Error(DiagnosticCodes.InvalidCheck, mapping.Location, "check names no check", "write { regex: '...' }, { number: true }, { number: 42 } or { has_answer: true }");
            }

            return null;
        }

        var chosen = checks.Values.OrderBy(e => e.Key.Location.Line).ThenBy(e => e.Key.Location.Column).ToList();
        foreach (var extra in chosen.Skip(1))
        {
            Error(DiagnosticCodes.InvalidCheck, extra.Key.Location, $"a check is one of regex, number, has_answer; '{extra.Name}' follows '{chosen[0].Name}'", "keep one; to combine checks add another verify layer");
        }

        var first = chosen[0];
        var location = first.Key.Location;
        switch (first.Name)
        {
            case "regex":
                return Pattern(first.Value, "check regex", needsGroup: false) is { } pattern ? new CheckSpec(CheckKind.Regex, pattern, null, location) : null;
            case "number":
                if (first.Value is YScalar { IsPlain: true, Value: "true" or "True" or "TRUE" })
                {
                    return new CheckSpec(CheckKind.Number, null, null, location);
                }

                if (first.Value is YScalar { IsPlain: true, Value: "false" or "False" or "FALSE" })
                {
                    Error(DiagnosticCodes.InvalidCheck, first.Value.Location, "'number: false' checks nothing", "write 'number: true' (the answer is a number) or 'number: 42' (it equals 42)");
                    return null;
                }

                return Double(first.Value, "check number", double.MinValue, double.MaxValue) is not null
                    ? new CheckSpec(CheckKind.Number, null, ((YScalar)first.Value).Value, location)
                    : null;
            default:
                if (Bool(first.Value, "has_answer") is { } has)
                {
                    if (has)
                    {
                        return new CheckSpec(CheckKind.HasAnswer, null, null, location);
                    }

                    Error(DiagnosticCodes.InvalidCheck, first.Value.Location, "'has_answer: false' checks nothing", "write 'has_answer: true'");
                }

                return null;
        }
    }

    private string? ReadId(Dictionary<string, YEntry> fields)
    {
        if (!fields.TryGetValue("id", out var entry) || Text(entry.Value, "id") is not { } id)
        {
            return null;
        }

        if (!Identifier().IsMatch(id))
        {
            Error(DiagnosticCodes.InvalidName, entry.Value.Location, $"'{id}' is not a valid id", "an id starts with a letter or '_' and holds letters, digits, '_', '.' and '-'");
            return null;
        }

        return id;
    }

    private ImmutableDictionary<string, PromptOverride> ReadPrompts(string kind, ImmutableArray<string> templates, Dictionary<string, YEntry> fields)
    {
        var prompts = ImmutableDictionary.CreateBuilder<string, PromptOverride>(StringComparer.Ordinal);
        if (fields.TryGetValue("prompt", out var prompt))
        {
            if (templates.Length == 0)
            {
                Error(DiagnosticCodes.UnknownTemplate, prompt.Key.Location, $"'{kind}' uses no prompt template", "remove 'prompt'");
            }
            else if (ReadPrompt(prompt.Value) is { } value)
            {
                prompts[templates[0]] = value;
            }
        }

        if (fields.TryGetValue("prompts", out var map) && Mapping(map.Value, "prompts", "write prompts: { TEMPLATE: \"text\" | { file: path.sbn } }") is { } mapping)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in mapping.Entries)
            {
                if (!CheckKey(entry, out var name))
                {
                    continue;
                }

                if (!seen.Add(name))
                {
                    Error(DiagnosticCodes.DuplicateKey, entry.Key.Location, $"duplicate template '{name}' in prompts", "remove one of the two; the first one is used");
                    continue;
                }

                if (!templates.Contains(name))
                {
                    var hint = templates.Length == 0 ? $"'{kind}' uses no prompt template" : DidYouMean.Hint(name, templates, $"templates of '{kind}'");
                    Error(DiagnosticCodes.UnknownTemplate, entry.Key.Location, $"'{kind}' has no template '{name}'", hint);
                    continue;
                }

                if (prompts.ContainsKey(name))
                {
                    Error(DiagnosticCodes.ConflictingOptions, entry.Key.Location, $"template '{name}' is overridden by both 'prompt' and 'prompts'", "keep one of them");
                    continue;
                }

                if (ReadPrompt(entry.Value) is { } value)
                {
                    prompts[name] = value;
                }
            }
        }

        return prompts.ToImmutable();
    }

    private PromptOverride? ReadPrompt(YNode node)
    {
        if (node is YScalar)
        {
            return Text(node, "a prompt") is { } text ? new PromptOverride(text, null, node.Location) : null;
        }

        if (Mapping(node, "a prompt", "write the template inline or as { file: path.sbn }") is not { } mapping)
        {
            return null;
        }

        var fields = Fields(mapping, PipelineKeys.PromptFile, "a prompt");
        if (!fields.TryGetValue("file", out var file))
        {
            if (mapping.Entries.Length == 0)
            {
                Error(DiagnosticCodes.MissingKey, mapping.Location, "a prompt mapping needs 'file:'", "write { file: path/to/template.sbn }");
            }

            return null;
        }

        return Text(file.Value, "file") is { } path ? new PromptOverride(null, path, file.Value.Location) : null;
    }

    internal RewardSpec? RewardOf(Dictionary<string, YEntry> fields, string key)
    {
        if (!fields.TryGetValue(key, out var entry))
        {
            return null;
        }

        const string Hint = "write reward: MODEL, reward: { model: MODEL, judge: auto | yes_no | score, aggregate: last | min | product | mean } or reward: { check: { number: true } }";
        if (entry.Value is YScalar)
        {
            return ModelOf(fields, key) is { } model ? new RewardSpec(model, null, RewardJudge.Auto, RewardAggregate.Last, entry.Value.Location) : null;
        }

        if (Mapping(entry.Value, key, Hint) is not { } mapping)
        {
            return null;
        }

        var inner = Fields(mapping, RewardSpec.Keys, key);
        var judge = inner.TryGetValue("judge", out var j)
            ? Word(j.Value, "judge", RewardSpec.JudgeWords, [RewardJudge.Auto, RewardJudge.YesNo, RewardJudge.Score])
            : RewardJudge.Auto;
        var aggregate = inner.TryGetValue("aggregate", out var a)
            ? Word(a.Value, "aggregate", RewardSpec.AggregateWords, [RewardAggregate.Last, RewardAggregate.Min, RewardAggregate.Product, RewardAggregate.Mean])
            : RewardAggregate.Last;
        var hasModel = inner.ContainsKey("model");
        var hasCheck = inner.ContainsKey("check");
        if (hasModel && hasCheck)
        {
            Error(DiagnosticCodes.ConflictingOptions, inner["check"].Key.Location, $"a {key} comes from a 'model' or a 'check', not both", "keep the one that should score the answers");
            return null;
        }

        if (!hasModel && !hasCheck)
        {
            if (mapping.Entries.Length > inner.Count)
            {
                return null; // a misspelt key was reported, with its did-you-mean
            }

            Error(DiagnosticCodes.MissingOption, mapping.Location, $"a {key} needs a 'model' that judges or a 'check' that scores", Hint);
            return null;
        }

        if (hasCheck && inner.TryGetValue("judge", out var stray))
        {
            Error(DiagnosticCodes.ConflictingOptions, stray.Key.Location, "'judge' says how a model judges; a check scores 1 or 0", "remove 'judge', or use 'model' instead of 'check'");
        }

        var modelRef = ModelOf(inner, "model");
        var check = CheckOf(inner, "check");
        if (judge is null || aggregate is null || (hasModel && modelRef is null) || (hasCheck && check is null))
        {
            return null;
        }

        return new RewardSpec(modelRef, check, judge.Value, aggregate.Value, mapping.Location);
    }

    internal ModelRef? ModelOf(Dictionary<string, YEntry> fields, string key) =>
        fields.TryGetValue(key, out var entry) && Text(entry.Value, key) is { } name ? new ModelRef(name, entry.Value.Location) : null;

    private int? IntOf(Dictionary<string, YEntry> fields, string key, int min, int max) =>
        fields.TryGetValue(key, out var entry) ? Int(entry.Value, key, min, max) : null;

    internal bool? BoolOf(Dictionary<string, YEntry> fields, string key) =>
        fields.TryGetValue(key, out var entry) ? Bool(entry.Value, key) : null;
}
