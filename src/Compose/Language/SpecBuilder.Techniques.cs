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
                    var hint = item is YScalar { IsPlain: true } word && PipelineKeys.TechniqueNames.Contains(word.Value)
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
            Error(DiagnosticCodes.EmptyLayer, mapping.Location, "this layer names no technique", $"write one of: {string.Join(", ", PipelineKeys.TechniqueNames)}");
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

            if (PipelineKeys.Techniques.TryGetValue(firstName, out var options) && (options.Contains(name) || PipelineKeys.Common.Contains(name)))
            {
                Error(
                    DiagnosticCodes.LayerShape,
                    extra.Key.Location,
                    $"'{name}' is an option of '{firstName}' but is written beside it, not under it",
                    $"indent it under '{firstName}:' (or write '{firstName}: {{ {name}: ... }}')");
            }
            else if (PipelineKeys.Techniques.ContainsKey(name))
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

        if (!PipelineKeys.Techniques.TryGetValue(kind, out var own))
        {
            Error(DiagnosticCodes.UnknownTechnique, entry.Key.Location, $"unknown technique '{kind}'", DidYouMean.Hint(kind, PipelineKeys.TechniqueNames, "techniques"));
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

        var fields = Fields(options, [.. PipelineKeys.Common, .. own], $"'{kind}'");
        var location = entry.Key.Location;
        TechniqueSpec technique = kind switch
        {
            "generate" => ReadGenerate(fields, location),
            "critique" => new CritiqueSpec(ModelOf(fields, "model"), location),
            "rank" => new RankSpec(
                ModelOf(fields, "model"),
                IntOf(fields, "keep", 1, int.MaxValue) ?? 5,
                fields.TryGetValue("method", out var method)
                    ? Word(method.Value, "method", PipelineKeys.RankMethods, [RankMethod.Listwise, RankMethod.Pairwise, RankMethod.Pointwise]) ?? RankMethod.Listwise
                    : RankMethod.Listwise,
                BoolOf(fields, "use_critiques"),
                location),
            "fuse" => new FuseSpec(ModelOf(fields, "model"), IntOf(fields, "samples", 1, 100) ?? 1, BoolOf(fields, "use_critiques"), location),
            "verify" => ReadVerify(fields, location),
            "refine" => ReadRefine(fields, location),
            "vote" => new VoteSpec(
                fields.TryGetValue("extract", out var extract) ? Pattern(extract.Value, "extract", needsGroup: true) : null,
                fields.TryGetValue("tie_break", out var tie)
                    ? Word(tie.Value, "tie_break", PipelineKeys.TieBreaks, [TieBreak.First, TieBreak.Score, TieBreak.Shortest]) ?? TieBreak.First
                    : TieBreak.First,
                location),
            _ => new UnitTestsSpec(ModelOf(fields, "model"), IntOf(fields, "count", 1, 50) ?? 5, IntOf(fields, "keep", 1, int.MaxValue) ?? 1, location),
        };

        return technique with
        {
            Id = ReadId(fields),
            Temperature = fields.TryGetValue("temperature", out var temperature) ? Double(temperature.Value, "temperature", 0, 2) : null,
            MaxTokens = IntOf(fields, "max_tokens", 1, 1_000_000),
            Prompts = ReadPrompts(kind, fields),
        };
    }

    private GenerateSpec ReadGenerate(Dictionary<string, YEntry> fields, SourceLocation location)
    {
        var models = ImmutableArray.CreateBuilder<ModelRef>();
        if (fields.TryGetValue("models", out var list))
        {
            if (list.Value is YSequence sequence)
            {
                if (sequence.Items.Length == 0)
                {
                    Error(DiagnosticCodes.MissingOption, list.Value.Location, "'models' lists no model", "name at least one model, or remove 'models' to use the default model");
                }

                foreach (var item in sequence.Items)
                {
                    if (Text(item, "a model name") is { } name)
                    {
                        models.Add(new ModelRef(name, item.Location));
                    }
                }
            }
            else
            {
                var hint = list.Value is YScalar { IsNull: false } one ? $"write 'models: [{one.Value}]' or 'model: {one.Value}'" : null;
                Error(DiagnosticCodes.WrongType, list.Value.Location, $"models must be a list of model names, got {list.Value.Describe()}", hint);
            }

            if (fields.TryGetValue("model", out var single))
            {
                var second = single.Key.Location.Line > list.Key.Location.Line
                    || (single.Key.Location.Line == list.Key.Location.Line && single.Key.Location.Column > list.Key.Location.Column) ? single : list;
                Error(DiagnosticCodes.ConflictingOptions, second.Key.Location, "generate takes 'model' or 'models', not both", "list every model under 'models'");
            }
        }
        else if (ModelOf(fields, "model") is { } model)
        {
            models.Add(model);
        }

        return new GenerateSpec(models.ToImmutable(), IntOf(fields, "samples", 1, 1000) ?? 1, location);
    }

    private VerifySpec ReadVerify(Dictionary<string, YEntry> fields, SourceLocation location)
    {
        var model = ModelOf(fields, "model");
        var check = CheckOf(fields);
        if (fields.ContainsKey("model") && fields.TryGetValue("check", out var checkEntry))
        {
            Error(DiagnosticCodes.ConflictingOptions, checkEntry.Key.Location, "verify takes a 'model' or a 'check', not both", "keep the one that should judge the candidates");
        }
        else if (!fields.ContainsKey("model") && !fields.ContainsKey("check"))
        {
            Error(DiagnosticCodes.MissingOption, location, "verify needs a 'model' or a 'check' to judge the candidates", "add 'model: NAME' or 'check: { regex: \"...\" }'");
        }

        var onNone = fields.TryGetValue("on_none", out var onNoneEntry)
            ? Word(onNoneEntry.Value, "on_none", PipelineKeys.OnNone, [OnNonePass.KeepAll, OnNonePass.KeepBest, OnNonePass.Fail]) ?? OnNonePass.KeepAll
            : OnNonePass.KeepAll;
        return new VerifySpec(model, check, onNone, location);
    }

    private RefineSpec ReadRefine(Dictionary<string, YEntry> fields, SourceLocation location)
    {
        var model = ModelOf(fields, "model");
        var verifier = ModelOf(fields, "verifier");
        var check = CheckOf(fields);
        RefineStop? until = null;
        if (fields.TryGetValue("until", out var untilEntry))
        {
            until = Word(untilEntry.Value, "until", PipelineKeys.RefineStops, [RefineStop.Verified, RefineStop.Unchanged]);
        }
        else
        {
            Error(DiagnosticCodes.MissingOption, location, "refine has no stop condition ('until:')", "add 'until: verified' (with a verifier or check) or 'until: unchanged'");
        }

        var hasVerifier = fields.ContainsKey("verifier");
        var hasCheck = fields.TryGetValue("check", out var checkEntry);
        if (until == RefineStop.Verified)
        {
            if (hasVerifier && hasCheck)
            {
                Error(DiagnosticCodes.ConflictingOptions, checkEntry!.Key.Location, "refine takes a 'verifier' or a 'check', not both", "keep the one that should decide when a candidate is done");
            }
            else if (!hasVerifier && !hasCheck)
            {
                Error(DiagnosticCodes.MissingOption, untilEntry!.Value.Location, "'until: verified' needs a 'verifier' model or a 'check'", "add 'verifier: NAME' or 'check: { regex: \"...\" }'");
            }
        }
        else if (until == RefineStop.Unchanged)
        {
            foreach (var unused in new[] { hasVerifier ? fields["verifier"] : null, checkEntry }.OfType<YEntry>())
            {
                Warning(DiagnosticCodes.UnusedOption, unused.Key.Location, $"'{unused.Name}' has no effect with 'until: unchanged'", "remove it, or write 'until: verified'");
            }
        }

        return new RefineSpec(model, IntOf(fields, "rounds", 1, 20) ?? 3, until, verifier, check, location);
    }

    private CheckSpec? CheckOf(Dictionary<string, YEntry> fields)
    {
        if (!fields.TryGetValue("check", out var entry))
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

    private ImmutableDictionary<string, PromptOverride> ReadPrompts(string kind, Dictionary<string, YEntry> fields)
    {
        var templates = PipelineKeys.Templates[kind];
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

    private ModelRef? ModelOf(Dictionary<string, YEntry> fields, string key) =>
        fields.TryGetValue(key, out var entry) && Text(entry.Value, key) is { } name ? new ModelRef(name, entry.Value.Location) : null;

    private int? IntOf(Dictionary<string, YEntry> fields, string key, int min, int max) =>
        fields.TryGetValue(key, out var entry) ? Int(entry.Value, key, min, max) : null;

    private bool? BoolOf(Dictionary<string, YEntry> fields, string key) =>
        fields.TryGetValue(key, out var entry) ? Bool(entry.Value, key) : null;
}
