using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Compose.Language;
using Compose.Techniques;
using static Compose.Import.ArchonVocabulary;

namespace Compose.Import;

/// <summary>One technique of the pipeline: its key and its options, each already written as YAML.</summary>
internal sealed record PlannedTechnique(string Key, ImmutableArray<KeyValuePair<string, string>> Options);

/// <summary>One layer of the pipeline (one technique, or several side by side) and the comment that says where it came from.</summary>
internal sealed record PlannedLayer(string Comment, ImmutableArray<PlannedTechnique> Techniques);

/// <summary>A model entry: the Compose name, Archon's model and model type, and the endpoint it maps to.</summary>
internal sealed record PlannedModel(string Name, string ArchonModel, ArchonModelType Type);

/// <summary>The whole pipeline, before it is written, with the calls per question Archon makes and the pipeline may make.</summary>
internal sealed record ArchonPlan(
    ImmutableArray<PlannedLayer> Layers,
    ImmutableArray<PlannedModel> Models,
    double Temperature,
    int MaxTokens,
    int ArchonCalls,
    int PipelineCalls,
    ImmutableArray<string> Differences);

/// <summary>
/// Maps an Archon architecture onto Compose techniques, layer by layer, counting the model calls each makes in
/// Archon and in the pipeline (docs/archon.md has the table). What cannot be expressed is reported at its place.
/// </summary>
internal sealed class ArchonPlanner(List<Diagnostic> diagnostics)
{
    private const string LengthControlSentence = "The fused answer can only be as long as the longest response above.";

    private readonly Dictionary<(string Type, string Model), PlannedModel> _models = [];
    private readonly List<PlannedModel> _modelOrder = [];
    private readonly List<PlannedLayer> _layers = [];
    private readonly List<string> _differences = [];
    private readonly List<(double Temperature, int MaxTokens)> _settings = [];
    private int _archon;
    private int _pipeline;
    private int _candidates;
    private Critiques _critiques = Critiques.None;
    private int _critiqueCount;
    private ArchonComponent? _tests;
    private int _testsLayer;
    private bool _testsBeforeGeneration;
    private bool _generated;
    private bool _failed;

    private enum Critiques
    {
        None,
        Fresh,
        Stale,
    }

    public ArchonPlan? Plan(ArchonArchitecture architecture)
    {
        foreach (var layer in architecture.Layers)
        {
            PlanLayer(layer);
            if (_failed)
            {
                return null;
            }
        }

        if (_tests is { } unused)
        {
            Warning(unused.Location, $"this unit_test_generator has no unit_test_evaluator after it: in Archon its tests only extend the question the later layers read (1 call); Compose has no technique that rewrites the question, so the pipeline leaves it out (1 call fewer)", "to check candidates against tests, add a unit_test_evaluator after the generators (imported as unit_tests)");
            _differences.Add($"the unit_test_generator of layer {_testsLayer} (no evaluator follows) is left out: 1 call fewer than Archon");
        }

        if (_candidates == 0)
        {
            Fail(architecture.Layers[^1].Location, "the architecture ends with no candidate: no generator or fuser writes an answer", "start with a layer of generators");
            return null;
        }

        var temperature = _settings.GroupBy(s => s.Temperature).OrderByDescending(g => g.Count()).First().Key;
        var maxTokens = _settings.GroupBy(s => s.MaxTokens).OrderByDescending(g => g.Count()).First().Key;
        var layers = _layers.Select(l => l with
        {
            Techniques = [.. l.Techniques.Select(t => t with { Options = [.. t.Options.Where(o => !IsDefault(o, temperature, maxTokens))] })],
        });
        return new ArchonPlan([.. layers], [.. _modelOrder], temperature, maxTokens, _archon, _pipeline, [.. _differences]);
    }

    private static bool IsDefault(KeyValuePair<string, string> option, double temperature, int maxTokens) =>
        (option.Key == "temperature" && option.Value == Yaml.Number(temperature))
        || (option.Key == "max_tokens" && option.Value == maxTokens.ToString(CultureInfo.InvariantCulture));

    private void PlanLayer(ArchonLayer layer)
    {
        var types = layer.Components.Select(c => c.Type).Distinct().ToList();
        if (types.Count > 1)
        {
            Fail(layer.Location, $"layer {layer.Number} mixes {string.Join(" and ", types.Select(t => t + "s"))}: in Archon each reads the layer before and they add to one state; Compose's side-by-side techniques cannot express that mix", "give each component type its own layer");
            return;
        }

        var type = types[0];
        if (layer.Components.Length > 1 && type is not (Generator or Fuser))
        {
            Fail(layer.Components[1].Location, $"layer {layer.Number} has {layer.Components.Length} {type}s: Archon concatenates their outputs into one list that no longer matches the candidates; Compose cannot express it", $"keep one {type} per layer");
            return;
        }

        if (type is not (Generator or UnitTestGenerator) && _candidates == 0)
        {
            Fail(layer.Location, $"layer {layer.Number}'s {type} has no candidates to work on (Archon stops on its assertion that there are some)", "put a layer of generators first");
            return;
        }

        var c = layer.Components[0];
        switch (type)
        {
            case Generator:
                PlanGenerators(layer);
                break;
            case Critic:
                Judge(c, "critic");
                Add(layer, $"Archon layer {layer.Number}: a critic ({c.Model}): one call critiques all {_candidates} candidates", Technique("critique", c, ("mode", "all")));
                _archon += c.Samples;
                _pipeline += 1;
                _critiques = Critiques.Fresh;
                _critiqueCount = _candidates;
                break;
            case Ranker:
                PlanRanker(layer, c);
                break;
            case Fuser:
                PlanFusers(layer);
                break;
            case Verifier:
                Judge(c, "verifier");
                if (_critiques == Critiques.Stale && _critiqueCount != _candidates)
                {
                    Warning(c.Location, $"Archon still carries {_critiqueCount} critiques of the candidates before the last fuser; its verifier asserts one per candidate ({_candidates}) and stops here; the pipeline's verify does not use critiques", "add a critic right before this layer");
                }

                Add(layer, $"Archon layer {layer.Number}: a verifier ({c.Model}): per candidate, one call for reasoning and one for the verdict ({2 * _candidates} calls); candidates judged incorrect are dropped, all kept when none passes", Technique("verify", c, ("reasoning", "true")));
                _archon += 2 * _candidates * c.Samples;
                _pipeline += 2 * _candidates;
                break;
            case UnitTestGenerator:
                if (_tests is not null)
                {
                    Fail(c.Location, "a second unit_test_generator before the evaluator: Archon adds both sets of tests to the question; Compose's unit_tests writes one set", "keep one unit_test_generator");
                    return;
                }

                Judge(c, "unit_test_generator");
                _tests = c;
                _testsLayer = layer.Number;
                _testsBeforeGeneration = !_generated;
                _archon += c.Samples;
                break;
            default:
                PlanEvaluator(layer, c);
                break;
        }
    }

    private void PlanGenerators(ArchonLayer layer)
    {
        if (_generated)
        {
            Fail(layer.Location, $"generators in layer {layer.Number}, after candidates exist: Archon's generators answer the question afresh and drop the candidates before them; Compose's generate after the first layer shows them as references (Mixture-of-Agents), so this cannot be imported as it runs in Archon", "start a new architecture at this layer, or use fusers to build on the candidates");
            return;
        }

        // One generate per group of generators that share samples, temperature and max_tokens (a model once per group).
        var groups = new List<List<ArchonComponent>>();
        foreach (var g in layer.Components)
        {
            var group = groups.FirstOrDefault(x => x[0].Samples == g.Samples && x[0].Temperature == g.Temperature && x[0].MaxTokens == g.MaxTokens && !x.Any(m => Same(m, g)));
            if (group is null)
            {
                groups.Add([g]);
            }
            else
            {
                group.Add(g);
            }
        }

        var techniques = groups.Select(group =>
        {
            var models = group.Select(g => ModelName(g)).ToList();
            var first = group[0];
            var options = new List<KeyValuePair<string, string>>
            {
                models.Count == 1 ? new("model", models[0]) : new("models", "[" + string.Join(", ", models) + "]"),
                new("samples", first.Samples.ToString(CultureInfo.InvariantCulture)),
            };
            options.AddRange(Settings(first));
            return new PlannedTechnique("generate", [.. options]);
        }).ToImmutableArray();

        var total = layer.Components.Sum(g => g.Samples);
        var tests = _tests is not null ? " (the unit tests come after them: see unit_tests)" : "";
        Add(layer, $"Archon layer {layer.Number}: {Count(layer.Components.Length, "generator")}, {total} candidates in all{tests}", techniques);
        _archon += total;
        _pipeline += total;
        _candidates = total;
        _critiques = Critiques.None;
        _generated = true;
    }

    private void PlanRanker(ArchonLayer layer, ArchonComponent c)
    {
        var keep = c.TopK ?? 1;
        StaleCritiques(c, layer);
        if (_candidates <= 1)
        {
            Warning(c.Location, $"this ranker gets at most one candidate: Archon makes {(c.IsPairRM ? "no API call" : "1 call")} that cannot change anything; Compose's rank needs several candidates, so the pipeline leaves it out", "remove the ranker, or raise the candidates before it");
            if (!c.IsPairRM)
            {
                _archon += 1;
                _differences.Add($"the ranker of layer {layer.Number}, which gets one candidate, is left out: 1 call fewer than Archon");
            }

            return;
        }

        if (c.IsPairRM)
        {
            var pairs = _candidates * (_candidates - 1) / 2;
            var name = ModelName(c);
            Warning(c.Location, $"PairRM (llm-blender) is a local pairwise reward model, not a chat model: Archon scores the candidates' pairs with it and makes no API call; the pipeline ranks pairwise with a chat model, one call per pair ({pairs} for {_candidates} candidates), keeping {keep}", $"point model '{name}' at a chat model that can judge two answers (see its comment in models:)");
            _differences.Add($"the PairRM ranker of layer {layer.Number} becomes a pairwise rank: {pairs} chat calls where Archon makes none (it runs PairRM locally)");
            Add(layer, $"Archon layer {layer.Number}: a PairRM ranker keeping the top {keep}: pairwise with a chat model, one call per pair", [new PlannedTechnique("rank", [new("model", name), new("keep", Int(keep)), new("method", "pairwise")])]);
            _pipeline += pairs;
        }
        else
        {
            Add(layer, $"Archon layer {layer.Number}: a ranker ({c.Model}) keeping the top {keep}: one call ranks all {_candidates} candidates", Technique("rank", c, ("keep", Int(keep)), ("method", "listwise")));
            _archon += 1;
            _pipeline += 1;
        }

        _candidates = Math.Min(keep, _candidates);
        _critiqueCount = Math.Min(keep, _critiqueCount);
    }

    private void PlanFusers(ArchonLayer layer)
    {
        if (_candidates <= 1)
        {
            Fail(layer.Location, $"the fusers of layer {layer.Number} get at most one candidate: Archon rewrites it; Compose's fuse needs several candidates, and no Compose technique rewrites one answer with Archon's fuse prompt", "raise the candidates before this layer (more samples, a larger top_k)");
            return;
        }

        foreach (var f in layer.Components)
        {
            StaleCritiques(f, layer);
        }

        var techniques = layer.Components.Select(f =>
        {
            var extra = new List<(string, string)> { ("samples", Int(f.Samples)) };
            if (f.LengthControl)
            {
                extra.Add(("prompt", LengthControlPrompt()));
            }

            return Technique("fuse", f, [.. extra])[0];
        }).ToImmutableArray();
        var total = layer.Components.Sum(f => f.Samples);
        var lengthControl = layer.Components.Any(f => f.LengthControl) ? "; length_control adds Archon's length sentence to the fuse prompt" : "";
        Add(layer, $"Archon layer {layer.Number}: {(layer.Components.Length == 1 ? "a fuser" : Count(layer.Components.Length, "fuser") + ", each")} fusing all {_candidates} candidates: {Count(total, "fused candidate")}{lengthControl}", techniques);
        _archon += total;
        _pipeline += total;
        _candidates = total;
        if (_critiques != Critiques.None)
        {
            _critiques = Critiques.Stale;
        }
    }

    private void PlanEvaluator(ArchonLayer layer, ArchonComponent c)
    {
        if (_tests is not { } writer)
        {
            Fail(c.Location, "a unit_test_evaluator with no unit_test_generator before it: Archon stops on its assertion that there are unit tests", "add a unit_test_generator in an earlier layer");
            return;
        }

        Judge(c, "unit_test_evaluator");
        var keep = c.TopK ?? _candidates;
        if (writer.Model != c.Model || writer.ModelType != c.ModelType)
        {
            Warning(writer.Location, $"Archon writes the tests with {writer.Model} and checks them with {c.Model}; Compose's unit_tests uses one model for both, so the pipeline uses {c.Model} (it makes {_candidates} of the {_candidates + 1} calls)", "change unit_tests' model in the pipeline to prefer the writer");
            _differences.Add($"unit tests are written by {c.Model}, not {writer.Model}");
        }

        if (writer.UnitTestCap is null)
        {
            Warning(writer.Location, "without unit_test_cap Archon lets the model write as many tests as it likes; Compose's unit_tests asks for a count, so the pipeline asks for 5 (its default)", "set \"unit_test_cap\" to the number of tests you want");
        }

        if (_testsBeforeGeneration)
        {
            Warning(writer.Location, $"Archon writes the tests in layer {_testsLayer}, before the candidates, and appends them to the question the generators answer; Compose's unit_tests writes them after the candidates, which answer the bare question (same calls)", "nothing to change; the candidates are still checked against the tests");
            _differences.Add("the tests are written after the candidates, which do not see them");
        }

        if (c.FirstPass)
        {
            Warning(c.Location, $"with first_pass Archon stops checking at the first candidate that passes every test and returns it (fewer calls when one does); Compose checks all {_candidates} and keeps the {Count(keep, "candidate")} that passed most (the earliest on a tie), so the pipeline's bound is Archon's most", "nothing to change; the bound is the same");
        }

        var options = new List<(string, string)> { ("count", Int(writer.UnitTestCap ?? 5)), ("keep", Int(keep)) };
        Add(layer, $"Archon layers {_testsLayer} and {layer.Number}: a unit_test_generator ({writer.Model}) and a unit_test_evaluator ({c.Model}): 1 call writes the tests, 1 call per candidate checks them ({_candidates}); the top {keep} by tests passed continue", Technique("unit_tests", c, [.. options]));
        _archon += _candidates * c.Samples;
        _pipeline += 1 + _candidates;
        _candidates = Math.Min(keep, _candidates);
        _tests = null;
    }

    /// <summary>Archon's judges call <c>samples</c> times per prompt and read the first reply; Compose calls once.</summary>
    private void Judge(ArchonComponent c, string what)
    {
        if (c.Samples > 1)
        {
            Warning(c.Location, $"Archon's {what} asks {c.Samples} times per prompt (samples) and reads only the first reply; the pipeline asks once, so it makes fewer calls", "set \"samples\": 1, which is what Archon uses");
            _differences.Add($"the {what} at {c.Location.Line}:{c.Location.Column} asks once per prompt, not {c.Samples} times");
        }
    }

    private void StaleCritiques(ArchonComponent c, ArchonLayer layer)
    {
        if (_critiques == Critiques.Stale)
        {
            var fails = _critiqueCount == _candidates ? "" : c.Type == Fuser
                ? $"; with {_critiqueCount} critiques for {_candidates} candidates Archon's fuser stops on its assertion here"
                : _critiqueCount < _candidates ? $"; with {_critiqueCount} critiques for {_candidates} candidates Archon's ranker stops with an IndexError here" : "";
            Warning(c.Location, $"Archon still carries the critiques of the candidates before the last fuser and shows them to this {c.Type} in layer {layer.Number} (they belong to other answers{fails}); Compose drops critiques when candidates are rewritten, so the pipeline's {ArchonReader.ComposeKey(c.Type)} sees none", "add a critic right before this layer to critique the fused candidates");
        }
    }

    private static bool Same(ArchonComponent a, ArchonComponent b) => a.Model == b.Model && a.ModelType == b.ModelType;

    private ImmutableArray<PlannedTechnique> Technique(string key, ArchonComponent c, params (string Name, string Value)[] extra)
    {
        var options = new List<KeyValuePair<string, string>> { new("model", ModelName(c)) };
        options.AddRange(extra.Select(e => new KeyValuePair<string, string>(e.Name, e.Value)));
        options.AddRange(Settings(c));
        return [new PlannedTechnique(key, [.. options])];
    }

    private IEnumerable<KeyValuePair<string, string>> Settings(ArchonComponent c)
    {
        _settings.Add((c.Temperature, c.MaxTokens));
        yield return new("temperature", Yaml.Number(c.Temperature));
        yield return new("max_tokens", Int(c.MaxTokens));
    }

    private string ModelName(ArchonComponent c)
    {
        var type = c.IsPairRM ? ArchonModelType.PairRM : ArchonModelType.Find(c.ModelType)!;
        if (_models.TryGetValue((type.Name, c.Model), out var known))
        {
            return Yaml.Text(known.Name);
        }

        var tail = c.Model.TrimEnd('/').Split('/')[^1];
        var name = new StringBuilder();
        foreach (var ch in tail)
        {
            name.Append(char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-' ? ch : '-');
        }

        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
        {
            name.Insert(0, "m-");
        }

        var unique = name.ToString();
        for (var i = 2; _modelOrder.Any(m => m.Name == unique); i++)
        {
            unique = $"{name}-{i}";
        }

        var model = new PlannedModel(unique, c.Model, type);
        _models[(type.Name, c.Model)] = model;
        _modelOrder.Add(model);
        return Yaml.Text(unique);
    }

    private static string LengthControlPrompt()
    {
        TechniqueCatalog.BuiltIn.TryGet("fuse", out var fuse);
        var text = fuse.Templates[0].DefaultText;
        const string Last = "Write the final answer only.";
        text = text.Contains(Last, StringComparison.Ordinal)
            ? text.Replace(Last, LengthControlSentence + " " + Last, StringComparison.Ordinal)
            : text.TrimEnd() + "\n\n" + LengthControlSentence + "\n";
        return Yaml.Quote(text);
    }

    private void Add(ArchonLayer layer, string comment, ImmutableArray<PlannedTechnique> techniques) => _layers.Add(new PlannedLayer(comment, techniques));

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";

    private void Warning(SourceLocation location, string message, string hint) =>
        diagnostics.Add(Diagnostic.Warning(ArchonDiagnosticCodes.NotRepresentable, location, message, hint));

    private void Fail(SourceLocation location, string message, string hint)
    {
        diagnostics.Add(Diagnostic.Error(ArchonDiagnosticCodes.CannotImport, location, message, hint));
        _failed = true;
    }
}
