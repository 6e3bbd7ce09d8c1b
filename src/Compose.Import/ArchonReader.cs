using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Compose.Language;
using static Compose.Import.ArchonVocabulary;

namespace Compose.Import;

/// <summary>An Archon architecture as read: its name and layers (null when errors make it unusable).</summary>
internal sealed record ArchonArchitecture(string? Name, ImmutableArray<ArchonLayer> Layers);

/// <summary>
/// Reads an Archon architecture from located JSON, reporting every problem at its place in one pass: what Archon
/// would stop on is an error, what it would silently ignore is a warning that says what Archon did with it.
/// </summary>
internal sealed class ArchonReader(List<Diagnostic> diagnostics)
{
    private const int MaxComposeTokens = 1_000_000;

    public ArchonArchitecture? Read(JsonValue root)
    {
        if (root.Kind != JsonValueKind.Object)
        {
            Error(ArchonDiagnosticCodes.NotAnArchitecture, root.Location, $"an Archon architecture is a JSON object, not {root.Describe()}", "write { \"name\": \"...\", \"layers\": [ [ {\"type\": \"generator\", ...} ] ] }");
            return null;
        }

        foreach (var p in root.Properties)
        {
            if (!TopKeys.Contains(p.Key))
            {
                Warning(ArchonDiagnosticCodes.UnknownOption, p.KeyLocation, $"unknown key '{p.Key}' at the top of the architecture: Archon ignores it, and so does the import", DidYouMean.Hint(p.Key, TopKeys, "Archon reads"));
            }
        }

        string? name = null;
        if (root.Property("name") is { } nameProperty)
        {
            if (nameProperty.Value.Kind == JsonValueKind.String && !string.IsNullOrWhiteSpace(nameProperty.Value.Text))
            {
                name = nameProperty.Value.Text;
            }
            else
            {
                Error(ArchonDiagnosticCodes.BadValue, nameProperty.Value.Location, $"'name' must be a non-empty text, not {nameProperty.Value.Describe()}", "write \"name\": \"my-architecture\"");
            }
        }

        if (root.Property("custom") is { } custom && custom.Value.Bool != false)
        {
            Error(ArchonDiagnosticCodes.CannotImport, custom.KeyLocation, "'custom' architectures use components and generators registered in Python (Archon.add_component), which a pipeline file cannot carry", "register a Compose technique instead (docs/techniques.md) and write the pipeline by hand");
        }

        if (root.Property("layers") is not { } layers)
        {
            Error(ArchonDiagnosticCodes.MissingOption, root.Location, "the architecture has no 'layers' (Archon stops with KeyError: 'layers')", "add \"layers\": [ [ {\"type\": \"generator\", ...} ], ... ]");
            return null;
        }

        if (layers.Value.Kind != JsonValueKind.Array || layers.Value.Items.IsEmpty)
        {
            Error(ArchonDiagnosticCodes.NotAnArchitecture, layers.Value.Location, $"'layers' must be a non-empty list of layers, not {(layers.Value.Kind == JsonValueKind.Array ? "an empty list" : layers.Value.Describe())}", "each layer is a list of components: [ {\"type\": \"generator\", ...} ]");
            return null;
        }

        var result = ImmutableArray.CreateBuilder<ArchonLayer>();
        var usable = true;
        for (var i = 0; i < layers.Value.Items.Length; i++)
        {
            var layer = ReadLayer(i + 1, layers.Value.Items[i]);
            if (layer is null)
            {
                usable = false;
            }
            else
            {
                result.Add(layer);
            }
        }

        return usable ? new ArchonArchitecture(name, result.ToImmutable()) : null;
    }

    private ArchonLayer? ReadLayer(int number, JsonValue layer)
    {
        ImmutableArray<JsonValue> items;
        if (layer.Kind == JsonValueKind.Array)
        {
            items = layer.Items;
        }
        else if (layer.Kind == JsonValueKind.Object && layer.Property("models") is { } models)
        {
            foreach (var p in layer.Properties.Where(p => !LayerKeys.Contains(p.Key)))
            {
                Warning(ArchonDiagnosticCodes.UnknownOption, p.KeyLocation, $"unknown key '{p.Key}' in layer {number}: Archon reads only 'models' here and ignores it, and so does the import", DidYouMean.Hint(p.Key, LayerKeys, "a layer object has"));
            }

            if (layer.Property("branches") is { } branches && !(branches.Value.Kind == JsonValueKind.Number && branches.Value.Number == 1))
            {
                Warning(ArchonDiagnosticCodes.IgnoredOption, branches.KeyLocation, $"Archon ignores 'branches' ({branches.Value.Describe()}): it runs layer {number}'s components once, and so does the pipeline", "remove 'branches'; to run a component more often, raise its samples or list it again");
            }

            if (models.Value.Kind != JsonValueKind.Array)
            {
                Error(ArchonDiagnosticCodes.NotAnArchitecture, models.Value.Location, $"layer {number}'s 'models' must be a list of components, not {models.Value.Describe()}", "write \"models\": [ {\"type\": \"generator\", ...} ]");
                return null;
            }

            items = models.Value.Items;
        }
        else if (layer.Kind == JsonValueKind.Object && layer.Property("type") is not null)
        {
            Warning(ArchonDiagnosticCodes.NotRepresentable, layer.Location, $"layer {number} is one component written as an object, not a list or {{\"models\": [...]}}: Archon reads its 'models' and stops with KeyError: 'models'; the import takes it as a layer of this one component", "write the layer as a list: [ { \"type\": ... } ]");
            items = [layer];
        }
        else
        {
            Error(ArchonDiagnosticCodes.NotAnArchitecture, layer.Location, $"layer {number} must be a list of components or an object with 'models', not {layer.Describe()}", "write the layer as [ {\"type\": \"generator\", ...} ]");
            return null;
        }

        if (items.IsEmpty)
        {
            Error(ArchonDiagnosticCodes.NotAnArchitecture, layer.Location, $"layer {number} has no component", "add a component, or remove the layer");
            return null;
        }

        var components = items.Select(ReadComponent).ToList();
        return components.Any(c => c is null) ? null : new ArchonLayer(number, layer.Location, [.. components!]);
    }

    private ArchonComponent? ReadComponent(JsonValue value)
    {
        if (value.Kind != JsonValueKind.Object)
        {
            Error(ArchonDiagnosticCodes.NotAnArchitecture, value.Location, $"a component is a JSON object, not {value.Describe()}", "write { \"type\": \"generator\", \"model\": ..., \"model_type\": ..., ... }");
            return null;
        }

        if (value.Property("type") is not { } typeProperty)
        {
            Error(ArchonDiagnosticCodes.MissingOption, value.Location, "the component has no 'type' (Archon stops with KeyError: 'type')", $"add \"type\": one of {string.Join(", ", Types)}");
            return null;
        }

        if (typeProperty.Value.Kind != JsonValueKind.String || !Types.Contains(typeProperty.Value.Text!))
        {
            var written = typeProperty.Value.Kind == JsonValueKind.String ? typeProperty.Value.Text! : typeProperty.Value.Describe();
            Error(ArchonDiagnosticCodes.UnknownComponent, typeProperty.Value.Location, $"unknown component type '{written}' (Archon stops: Unsupported object type)", DidYouMean.Hint(written, Types, "component types"));
            ReportKeys(value, null);
            return null;
        }

        var type = typeProperty.Value.Text!;
        var ok = true;
        ReportKeys(value, type);

        var model = RequiredText(value, "model", type, ref ok);
        var isPairRM = type == Ranker && model == PairRMModel;
        var modelType = value.Property("model_type") is { } mt
            ? ModelTypeOf(mt, isPairRM, ref ok)
            : Missing(value, "model_type", type, ref ok);
        var temperature = Number(value, "temperature", 0, 2, required: true, type, ref ok);
        var maxTokensRequired = !isPairRM;
        var maxTokens = Int(value, "max_tokens", 1, MaxComposeTokens, maxTokensRequired, type, ref ok);
        var samplesRequired = type is Critic or Verifier or UnitTestGenerator or UnitTestEvaluator;
        var samplesMax = type switch { Generator => 1000, Fuser => 100, _ => 1000 };
        var samples = Int(value, "samples", 1, samplesMax, samplesRequired, type, ref ok);
        var topK = type is Ranker or UnitTestEvaluator ? Int(value, "top_k", 1, int.MaxValue, required: type == Ranker, type, ref ok) : null;
        var lengthControl = type == Fuser && Bool(value, "length_control", required: false, type, ref ok) == true;
        var firstPass = type == UnitTestEvaluator && Bool(value, "first_pass", required: false, type, ref ok) == true;
        var cap = type == UnitTestGenerator ? Int(value, "unit_test_cap", 1, 50, required: false, type, ref ok) : null;
        if (type == UnitTestEvaluator)
        {
            Bool(value, "remove_unit_tests_from_prompt", required: true, type, ref ok);
        }

        if (isPairRM && value.Property("ranker_batch_size") is null)
        {
            Missing(value, "ranker_batch_size", type, ref ok);
        }

        if (!ok)
        {
            return null;
        }

        var sent = maxTokens ?? 2048;
        if (modelType == "Anthropic_API" && sent != 4096)
        {
            var at = value.Property("max_tokens")!.KeyLocation;
            Warning(ArchonDiagnosticCodes.IgnoredOption, at, $"Archon sends max_tokens 4096 to Anthropic models whatever the file says ({sent}); the pipeline uses 4096 as Archon does", "write \"max_tokens\": 4096 to say what runs, or change max_tokens in the pipeline");
            sent = 4096;
        }

        return new ArchonComponent(type, value.Location)
        {
            Model = model ?? "",
            ModelType = modelType ?? "",
            Temperature = temperature ?? 0.7,
            MaxTokens = sent,
            Samples = samples ?? 1,
            TopK = topK,
            LengthControl = lengthControl,
            FirstPass = firstPass,
            UnitTestCap = cap,
        };
    }

    /// <summary>Warns about every key this component does not read: unknown to Archon (a misspelling) or read by others only.</summary>
    private void ReportKeys(JsonValue component, string? type)
    {
        var reads = type is null ? AllOptions : Reads[type];
        var model = component.Property("model")?.Value.Text;
        var isPairRM = type == Ranker && model == PairRMModel;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in component.Properties)
        {
            var what = type ?? "component";
            if (!seen.Add(p.Key))
            {
                Warning(ArchonDiagnosticCodes.IgnoredOption, p.KeyLocation, $"'{p.Key}' is written twice in this {what}: Archon (Python's json) keeps the last one and ignores this one", "remove one of them");
                continue;
            }

            if (type is null || isPairRM)
            {
                continue;
            }

            if (!AllOptions.Contains(p.Key))
            {
                var suggestion = DidYouMean.Suggest(p.Key, reads) ?? DidYouMean.Suggest(p.Key, AllOptions);
                var effect = suggestion is not null && reads.Contains(suggestion)
                    ? $"the {type} ran without '{suggestion}'"
                    : "it changes nothing";
                Warning(
                    ArchonDiagnosticCodes.UnknownOption,
                    p.KeyLocation,
                    $"unknown option '{p.Key}' for a {type}: Archon ignores it silently ({effect}), and so does the pipeline",
                    suggestion is not null ? $"did you mean '{suggestion}'?" : $"a {type} reads: {string.Join(", ", reads.Where(r => r != "type"))}");
                continue;
            }

            if (IgnoredBy(type, p) is { } ignored)
            {
                Warning(ArchonDiagnosticCodes.IgnoredOption, p.KeyLocation, ignored.Message, ignored.Hint);
            }
            else if (NotCarried(type, p) is { } differs)
            {
                Warning(ArchonDiagnosticCodes.NotRepresentable, p.KeyLocation, differs.Message, differs.Hint);
            }
        }
    }

    /// <summary>Options Archon knows but this component does not use: what Archon did with them.</summary>
    private static (string Message, string Hint)? IgnoredBy(string type, JsonProperty p)
    {
        var value = p.Value;
        switch (p.Key)
        {
            case "checkpoint" when value.Kind == JsonValueKind.String && string.IsNullOrEmpty(value.Text):
                return null;
            case "checkpoint":
            case "batch_num":
                return ($"Archon's {type} ignores '{p.Key}' ({value.Describe()}): no component reads it; the pipeline ignores it too", $"remove '{p.Key}'");
            case "use_critiques" when type == Ranker:
                return ($"Archon's ranker ignores 'use_critiques' ({value.Describe()}): it shows the critiques whenever a critic left some; the pipeline's rank does the same (its default)", "remove 'use_critiques'; in the pipeline, 'use_critiques: false' on rank hides them");
            case "use_critiques":
                return ($"Archon's {type} ignores 'use_critiques' ({value.Describe()}): it shows the critiques whenever a critic left some; the pipeline's {ComposeKey(type)} does the same (its default)", "remove 'use_critiques'");
            case "ranker_batch_size" when type == Ranker:
                return ($"Archon uses 'ranker_batch_size' only for PairRM; this ranker calls a model once, so it is ignored", "remove 'ranker_batch_size'");
            case "samples" when type == Ranker && !(value.Kind == JsonValueKind.Number && value.Number == 1):
                return ($"Archon's ranker sets samples to 1 whatever the file says ({value.Describe()}): one ranking call", "remove 'samples' from the ranker");
            case "unit_test_cap" when type == UnitTestEvaluator:
                return ("Archon's unit_test_evaluator reads 'unit_test_cap' but checks every test the generator wrote; the pipeline takes the count from the unit_test_generator", "set unit_test_cap on the unit_test_generator");
            default:
                return Reads[type].Contains(p.Key)
                    ? null
                    : ($"Archon's {type} ignores '{p.Key}' ({value.Describe()}): only {string.Join(" and ", Reads.Where(r => r.Value.Contains(p.Key)).Select(r => r.Key + "s"))} read it; the pipeline ignores it too", $"remove '{p.Key}' from the {type}");
        }
    }

    /// <summary>Options Archon uses that have no counterpart in Compose.</summary>
    private static (string Message, string Hint)? NotCarried(string type, JsonProperty p) => p.Key switch
    {
        "no_system" => ($"'no_system' drops Archon's system message; Compose's prompts carry none to drop, so it is not carried over", "remove 'no_system'"),
        "first_k" => ($"'first_k' stops Archon's {type} after the first {p.Value.Describe()} candidates that pass; Compose judges every candidate, so it is not carried over (the bound counts every candidate)", "remove 'first_k'"),
        _ => null,
    };

    internal static string ComposeKey(string type) => type switch
    {
        Generator => "generate",
        Critic => "critique",
        Ranker => "rank",
        Fuser => "fuse",
        Verifier => "verify",
        _ => "unit_tests",
    };

    private string? ModelTypeOf(JsonProperty p, bool isPairRM, ref bool ok)
    {
        if (p.Value.Kind != JsonValueKind.String)
        {
            Error(ArchonDiagnosticCodes.BadValue, p.Value.Location, $"'model_type' must be a text, not {p.Value.Describe()}", $"one of {string.Join(", ", ArchonModelType.Names)}");
            ok = false;
            return null;
        }

        var text = p.Value.Text!;
        if (isPairRM || ArchonModelType.Find(text) is not null)
        {
            return text;
        }

        Error(
            ArchonDiagnosticCodes.UnknownModelType,
            p.Value.Location,
            text.Length == 0 ? "'model_type' is empty: Archon has no generator for it (Invalid model type)" : $"unknown model_type '{text}': Archon has no generator for it (Invalid model type)",
            DidYouMean.Hint(text, ArchonModelType.Names, "model types"));
        ok = false;
        return null;
    }

    private string? RequiredText(JsonValue component, string key, string type, ref bool ok)
    {
        if (component.Property(key) is not { } p)
        {
            return Missing(component, key, type, ref ok);
        }

        if (p.Value.Kind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.Text))
        {
            Error(ArchonDiagnosticCodes.BadValue, p.Value.Location, $"'{key}' must be a non-empty text, not {p.Value.Describe()}", $"write \"{key}\": \"...\"");
            ok = false;
            return null;
        }

        return p.Value.Text;
    }

    private string? Missing(JsonValue component, string key, string type, ref bool ok)
    {
        Error(ArchonDiagnosticCodes.MissingOption, component.Location, $"this {type} has no '{key}' (Archon stops with KeyError: '{key}')", $"add \"{key}\": ...");
        ok = false;
        return null;
    }

    private double? Number(JsonValue component, string key, double min, double max, bool required, string type, ref bool ok)
    {
        if (component.Property(key) is not { } p)
        {
            if (required)
            {
                Missing(component, key, type, ref ok);
            }

            return null;
        }

        if (p.Value.Kind != JsonValueKind.Number || p.Value.Number is not { } n || n < min || n > max)
        {
            Error(ArchonDiagnosticCodes.BadValue, p.Value.Location, $"'{key}' must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not {p.Value.Describe()}", $"for example \"{key}\": 0.7");
            ok = false;
            return null;
        }

        return n;
    }

    private int? Int(JsonValue component, string key, int min, int max, bool required, string type, ref bool ok)
    {
        if (component.Property(key) is not { } p)
        {
            if (required)
            {
                Missing(component, key, type, ref ok);
            }

            return null;
        }

        if (p.Value.Kind != JsonValueKind.Number || p.Value.Number is not { } n || n != Math.Floor(n) || n < min || n > max)
        {
            var range = max == int.MaxValue ? $"at least {min}" : $"from {min} to {max}";
            var why = key switch
            {
                "samples" when type == Generator => " (Compose's generate takes at most 1000)",
                "samples" when type == Fuser => " (Compose's fuse takes at most 100)",
                "max_tokens" => " (Compose's range)",
                "unit_test_cap" => " (Compose's unit_tests writes 1 to 50 tests)",
                _ => "",
            };
            Error(ArchonDiagnosticCodes.BadValue, p.Value.Location, $"'{key}' must be a whole number {range}{why}, not {p.Value.Describe()}", $"for example \"{key}\": {Math.Max(min, 1)}");
            ok = false;
            return null;
        }

        return (int)n;
    }

    private bool? Bool(JsonValue component, string key, bool required, string type, ref bool ok)
    {
        if (component.Property(key) is not { } p)
        {
            if (required)
            {
                Missing(component, key, type, ref ok);
            }

            return null;
        }

        if (p.Value.Bool is not { } b)
        {
            Error(ArchonDiagnosticCodes.BadValue, p.Value.Location, $"'{key}' must be true or false, not {p.Value.Describe()}", $"write \"{key}\": true");
            ok = false;
            return null;
        }

        return b;
    }

    private void Error(string code, SourceLocation location, string message, string hint) => diagnostics.Add(Diagnostic.Error(code, location, message, hint));

    private void Warning(string code, SourceLocation location, string message, string hint) => diagnostics.Add(Diagnostic.Warning(code, location, message, hint));
}
