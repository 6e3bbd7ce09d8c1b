using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;

namespace Compose.Compilation;

/// <summary>One compilation: model resolution, node ids, candidate flow, bounds, composition and budget checks.</summary>
internal sealed class CompilerRun(PipelineSpec spec, ModelProviderCatalog catalog, ModelProviderContext context, List<Diagnostic> diagnostics, bool layersIntact)
{
    private const string DefaultModelName = "default";
    private readonly HashSet<string> _modelNames = new(spec.Models.Select(m => m.Name), StringComparer.Ordinal);
    private readonly TechniqueSet _techniques = catalog.Techniques;

    public PipelineGraph? Run()
    {
        CheckModels();
        CheckDefaultsAndPrices();
        CheckPromptFiles();
        if (spec.Layers.IsEmpty)
        {
            return null;
        }

        var nodes = BuildNodes(out var perModel);
        var total = nodes.Aggregate(CostBound.Zero, (sum, node) => sum + node.Bound);
        var final = nodes.Where(n => n.Layer == spec.Layers.Length - 1).Sum(n => (long)n.MaxCandidatesOut);
        if (layersIntact && spec.Output.Kind == SelectionKind.Vote && final <= 1)
        {
            diagnostics.Add(Diagnostic.Warning(
                DiagnosticCodes.VoteOverSingleCandidate,
                spec.Output.Location.IsNone ? spec.Location : spec.Output.Location,
                $"'output: vote' votes over at most {final} candidate",
                "a vote needs several candidates; use 'output: first', or end with a layer that keeps several"));
        }
        else if (layersIntact && spec.Output.Kind == SelectionKind.BestLogProb && final <= 1)
        {
            diagnostics.Add(Diagnostic.Warning(
                DiagnosticCodes.VoteOverSingleCandidate,
                spec.Output.Location.IsNone ? spec.Location : spec.Output.Location,
                $"'output: best_logprob' chooses among at most {final} candidate",
                "a choice needs several candidates; use 'output: first', or end with a layer that keeps several"));
        }

        var cost = CostOf(perModel);
        if (layersIntact)
        {
            CheckBudget(nodes, total, perModel, cost);
        }

        return new PipelineGraph(spec, nodes, BuildEdges(nodes), total)
        {
            MaxCost = cost,
            MaxFinalCandidates = Saturating.ToInt(final),
        };
    }

    private void CheckModels()
    {
        foreach (var model in spec.Models)
        {
            if (model.Provider.Length == 0)
            {
                continue;
            }

            if (!catalog.TryGet(model.Provider, out var provider))
            {
                var names = catalog.Names.ToList();
                diagnostics.Add(Diagnostic.Error(
                    DiagnosticCodes.UnknownProvider,
                    model.ProviderLocation.IsNone ? model.Location : model.ProviderLocation,
                    $"model '{model.Name}' uses provider '{model.Provider}', which this host does not offer",
                    DidYouMean.Hint(model.Provider, names, "providers")));
                continue;
            }

            try
            {
                diagnostics.AddRange(provider.Check(model, context.For(model)));
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                diagnostics.Add(Diagnostic.Error(
                    DiagnosticCodes.ProviderCheckFailed,
                    model.Location,
                    $"provider '{model.Provider}' failed while checking model '{model.Name}': {exception.Message}",
                    "this is a bug in the provider; please report it"));
            }
        }
    }

    private bool IsDefined(string name) => _modelNames.Contains(name) || (name == DefaultModelName && catalog.DefaultModel is not null);

    private void CheckDefaultsAndPrices()
    {
        if (spec.Defaults.Model is { } model && !IsDefined(model))
        {
            diagnostics.Add(UndefinedModel(model, spec.Defaults.ModelLocation.IsNone ? spec.Defaults.Location : spec.Defaults.ModelLocation, "defaults.model"));
        }

        foreach (var (name, price) in spec.Budget.Prices.OrderBy(p => p.Value.Location.Line))
        {
            if (!IsDefined(name))
            {
                diagnostics.Add(UndefinedModel(name, price.Location, "a price"));
            }
        }
    }

    private Diagnostic UndefinedModel(string name, SourceLocation location, string where) =>
        Diagnostic.Error(
            DiagnosticCodes.UndefinedModel,
            location,
            $"{where} names model '{name}', which 'models:' does not define",
            _modelNames.Count == 0 ? $"define it under 'models:' ({name}: {{ provider: ... }})" : DidYouMean.Hint(name, _modelNames.Order(StringComparer.Ordinal).ToList(), "defined models"));

    private void CheckPromptFiles()
    {
        string folder;
        try
        {
            folder = spec.BaseDirectory;
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or PathTooLongException)
        {
            folder = context.BaseDirectory;
        }

        foreach (var technique in spec.Layers.SelectMany(l => l.Techniques))
        {
            foreach (var (name, prompt) in technique.Prompts.OrderBy(p => p.Value.Location.Line))
            {
                if (prompt.File is not { } file)
                {
                    continue;
                }

                var (path, outside) = Compose.IO.SafePath.Confine(folder, file, context.Files, "prompt template file");
                var problem = outside ?? Compose.IO.SafeFile.Check(path!, context.Files.MaxFileBytes, "prompt template file");
                if (problem is { Code: not DiagnosticCodes.FileUnreadable })
                {
                    diagnostics.Add(problem.ToDiagnostic(prompt.Location));
                }
                else if (problem is not null)
                {
                    diagnostics.Add(Diagnostic.Error(
                        DiagnosticCodes.PromptFileNotFound,
                        prompt.Location,
                        $"prompt file '{file}' for template '{name}' not found",
                        $"the path is relative to the pipeline file's folder ({folder})"));
                }
            }
        }
    }

    /// <summary>The model a technique calls: its own, else <c>defaults.model</c>, else <c>default</c>.</summary>
    private string? Resolve(ModelRef? model, TechniqueSpec technique)
    {
        if (model is not null)
        {
            if (!IsDefined(model.Name))
            {
                diagnostics.Add(UndefinedModel(model.Name, model.Location, $"'{technique.Kind}'"));
            }

            return model.Name;
        }

        if (spec.Defaults.Model is { } fallback)
        {
            return fallback;
        }

        if (IsDefined(DefaultModelName))
        {
            return DefaultModelName;
        }

        diagnostics.Add(Diagnostic.Error(
            DiagnosticCodes.NoDefaultModel,
            technique.Location,
            $"'{technique.Kind}' names no model and there is no default model",
            "add 'model: NAME' to it, or 'defaults: { model: NAME }', or define a model named 'default'"));
        return null;
    }

    private ImmutableArray<string> ResolveModels(TechniqueSpec technique, ITechniqueRules definition) =>
        [.. Guard(definition, technique, "naming its models", () => definition.ModelsOf(technique).ToList(), []).Select(m => Resolve(m, technique)).OfType<string>()];

    /// <summary>
    /// Runs a hook of a technique from outside Compose: an exception is that technique's bug, reported as CMP409 at its
    /// place with its type's name, and <paramref name="fallback"/> stands in. A built-in's exception is Compose's own bug
    /// and is left to the compiler's internal-error report.
    /// </summary>
    private T Guard<T>(ITechniqueRules definition, TechniqueSpec technique, string what, Func<T> hook, T fallback)
    {
        if (!TechniqueFailure.IsExternal(definition))
        {
            return hook();
        }

        try
        {
            return hook();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            diagnostics.Add(TechniqueFailure.Of(technique.Kind, definition, what, exception, technique.Location));
            return fallback;
        }
    }

    private ImmutableArray<GraphNode> BuildNodes(out List<ModelCalls> perModel)
    {
        perModel = [];
        var nodes = ImmutableArray.CreateBuilder<GraphNode>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var flow = CandidateFlow.Start;
        var critiquesAvailable = false;
        for (var layer = 0; layer < spec.Layers.Length; layer++)
        {
            var techniques = spec.Layers[layer].Techniques;
            var definitions = techniques.Select(_techniques.For<ITechniqueRules>).ToList();
            var outputs = new List<CandidateFlow>();
            var kindCounts = techniques.GroupBy(t => t.Kind).ToDictionary(g => g.Key, g => g.Count());
            var kindSeen = new Dictionary<string, int>();
            for (var i = 0; i < techniques.Length; i++)
            {
                var (technique, definition) = (techniques[i], definitions[i]);
                kindSeen[technique.Kind] = kindSeen.GetValueOrDefault(technique.Kind) + 1;
                var id = technique.Id ?? (kindCounts[technique.Kind] > 1
                    ? $"L{layer + 1}.{technique.Kind}.{kindSeen[technique.Kind]}"
                    : $"L{layer + 1}.{technique.Kind}");
                if (!ids.Add(id))
                {
                    diagnostics.Add(Diagnostic.Error(
                        DiagnosticCodes.DuplicateNodeId,
                        technique.Location,
                        $"node id '{id}' is used twice",
                        "give each technique a unique 'id:'"));
                }

                var models = ResolveModels(technique, definition);
                var needs = Guard(definition, technique, "saying what it needs", () => definition.NeedsOf(technique), TechniqueNeeds.None);
                if (layersIntact)
                {
                    CheckComposition(technique, definition, needs, layer, flow, critiquesAvailable);
                }

                CheckCapabilities(technique, needs, models);
                var input = new BoundsInput(
                    flow,
                    layer,
                    models,
                    Saturating.Add(PipelineCompiler.TemplateOverheadTokens, spec.Defaults.InputTokens),
                    technique.MaxTokens ?? spec.Defaults.MaxTokens);
                var step = Guard(definition, technique, "bounding its calls", () => definition.BoundsOf(technique, input), TechniqueBounds.NoCalls(flow));
                perModel.AddRange(step.Calls);
                var bound = step.Calls.Aggregate(CostBound.Zero, (sum, c) => sum + c.ToBound());
                nodes.Add(new GraphNode(id, layer, technique, models, Saturating.ToInt(flow.Count), Saturating.ToInt(step.Output.Count), bound));
                outputs.Add(step.Output);
            }

            if (definitions.Any(d => d.Effect == CandidateEffect.Writes))
            {
                critiquesAvailable = false;
            }
            else if (definitions.Any(d => d.Effect == CandidateEffect.Critiques))
            {
                critiquesAvailable = true;
            }

            flow = CandidateFlow.Concat(outputs);
        }

        return nodes.ToImmutable();
    }

    private void CheckComposition(TechniqueSpec technique, ITechniqueRules definition, TechniqueNeeds needs, int layer, CandidateFlow flow, bool critiquesAvailable)
    {
        if (layer == 0)
        {
            if (!definition.StartsFromQuestion)
            {
                var starters = _techniques.AllOf<ITechniqueRules>().Where(d => d.StartsFromQuestion).Select(d => d.Key).ToList();
                diagnostics.Add(Diagnostic.Error(
                    DiagnosticCodes.FirstLayerNotGenerate,
                    technique.Location,
                    $"'{technique.Kind}' is in the first layer, where there are no candidates yet",
                    starters is ["generate"]
                        ? "start with a 'generate' layer; only generate may be in layer 1"
                        : $"start with a layer that writes candidates from the question: {string.Join(", ", starters)}"));
            }

            return;
        }

        if (needs.SeveralCandidates && flow.Count <= 1)
        {
            diagnostics.Add(Diagnostic.Error(
                DiagnosticCodes.NeedsSeveralCandidates,
                technique.Location,
                $"'{technique.Kind}' needs several candidates but gets one",
                "produce more candidates before it (raise 'samples' or add models to 'generate'), or remove it"));
        }

        diagnostics.AddRange(Guard(definition, technique, "checking its place", () => definition.CheckOf(technique, new CompositionInput(layer, flow, critiquesAvailable)).ToList(), []));

        if (needs.Critiques && !critiquesAvailable)
        {
            diagnostics.Add(Diagnostic.Error(
                DiagnosticCodes.CritiquesUnavailable,
                technique.Location,
                $"'{technique.Kind}' uses critiques, but no critique layer follows the last layer that made new candidates",
                "add a '- critique: {}' layer before it, or remove 'use_critiques: true'"));
        }
    }

    /// <summary>Each model the technique calls must offer what it needs (log-probabilities, continuation, constrained output).</summary>
    private void CheckCapabilities(TechniqueSpec technique, TechniqueNeeds needs, ImmutableArray<string> models)
    {
        if (needs.FromModels == ModelCapabilities.None && needs.ByModel.All(c => c == ModelCapabilities.None))
        {
            return;
        }

        var reported = new HashSet<(string, ModelCapabilities)>();
        for (var i = 0; i < models.Length; i++)
        {
            var name = models[i];
            var needed = needs.Of(i);
            var model = spec.FindModel(name) ?? (name == DefaultModelName ? catalog.DefaultModel : null);
            if (needed == ModelCapabilities.None || model is null || !catalog.TryGet(model.Provider, out var provider))
            {
                continue; // nothing needed, or reported as an undefined model or an unknown provider
            }

            ModelCapabilities offered;
            try
            {
                offered = provider.Capabilities(model, context.For(model));
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                offered = ModelCapabilities.None;
            }

            var missing = needed & ~offered;
            if (missing != ModelCapabilities.None && reported.Add((name, missing)))
            {
                diagnostics.Add(Diagnostic.Error(
                    DiagnosticCodes.ModelLacksCapability,
                    technique.Location,
                    $"'{technique.Kind}' needs {Describe(missing)} from model '{name}', which provider '{model.Provider}' does not offer",
                    Remedy(missing)));
            }
        }
    }

    private static string Remedy(ModelCapabilities missing) =>
        missing.HasFlag(ModelCapabilities.Continuation)
            ? "call a model that continues partial answers: onnx, scripted, or openai with 'continue_final_message: true' on a vLLM- or SGLang-style server"
            : missing.HasFlag(ModelCapabilities.ConstrainedGrammar)
                ? "call a model on `provider: onnx` with `engine: genai` (its guidance constrains output to a pattern or a JSON schema), or drop the constraint"
                : $"call a model whose provider offers {Describe(missing)} (onnx gives log-probabilities and choice constraints), or use another technique";

    private static string Describe(ModelCapabilities capabilities) => string.Join(" and ", new[]
    {
        capabilities.HasFlag(ModelCapabilities.LogProbabilities) ? "log-probabilities" : null,
        capabilities.HasFlag(ModelCapabilities.Continuation) ? "continuation of a partial answer" : null,
        capabilities.HasFlag(ModelCapabilities.ConstrainedOutput) ? "output constrained to a set of choices" : null,
        capabilities.HasFlag(ModelCapabilities.ConstrainedGrammar) ? "output constrained by a pattern or a JSON schema" : null,
    }.OfType<string>());

    private decimal? CostOf(List<ModelCalls> perModel)
    {
        decimal total = 0;
        foreach (var call in perModel.Where(c => c.Calls > 0))
        {
            if (call.Model is null || !spec.Budget.Prices.TryGetValue(call.Model, out var price))
            {
                return null;
            }

            var cost = price.Cost(call.InputTokens, call.OutputTokens);
            if (cost == decimal.MaxValue || total > decimal.MaxValue - cost)
            {
                return decimal.MaxValue;
            }

            total += cost;
        }

        return total;
    }

    private void CheckBudget(ImmutableArray<GraphNode> nodes, CostBound total, List<ModelCalls> perModel, decimal? cost)
    {
        var budget = spec.Budget;
        if (budget.MaxCalls is { } maxCalls && total.Calls > maxCalls)
        {
            var top = nodes.MaxBy(n => n.Bound.Calls)!;
            diagnostics.Add(Diagnostic.Error(
                DiagnosticCodes.CallBudgetExceeded,
                Where(budget.MaxCallsLocation),
                $"the pipeline may make up to {total.Calls} calls per question, over budget.max_calls {maxCalls}",
                $"'{top.Id}' makes up to {top.Bound.Calls} of them; lower its samples (or keep/rounds/count), or raise max_calls to {total.Calls}"));
        }

        if (budget.MaxTokens is { } maxTokens && total.TotalTokens > maxTokens)
        {
            var top = nodes.MaxBy(n => n.Bound.TotalTokens)!;
            diagnostics.Add(Diagnostic.Warning(
                DiagnosticCodes.TokenBudgetExceeded,
                Where(budget.MaxTokensLocation),
                $"the pipeline may use up to {total.TotalTokens} tokens per question, over budget.max_tokens {maxTokens}",
                $"'{top.Id}' may use up to {top.Bound.TotalTokens}; lower max_tokens or samples, or raise the budget (runs stop when it is spent)"));
        }

        if (budget.MaxCost is { } maxCost)
        {
            var missing = perModel.Where(c => c.Calls > 0 && c.Model is not null && !budget.Prices.ContainsKey(c.Model))
                .Select(c => c.Model!).Distinct().Order(StringComparer.Ordinal).ToList();
            foreach (var model in missing)
            {
                diagnostics.Add(Diagnostic.Error(
                    DiagnosticCodes.MissingPrice,
                    Where(budget.MaxCostLocation),
                    $"max_cost is set but model '{model}' has no price",
                    $"add prices: {{ {model}: {{ input: ..., output: ... }} }} (per 1,000 tokens)"));
            }

            if (missing.Count == 0 && cost is { } bound && bound > maxCost)
            {
                diagnostics.Add(Diagnostic.Warning(
                    DiagnosticCodes.CostBudgetExceeded,
                    Where(budget.MaxCostLocation),
                    $"the pipeline may cost up to {bound:0.######} per question, over budget.max_cost {maxCost}",
                    "lower samples or max_tokens, use cheaper models, or raise max_cost (runs stop when it is spent)"));
            }
        }
    }

    private SourceLocation Where(SourceLocation location) =>
        !location.IsNone ? location : !spec.Budget.Location.IsNone ? spec.Budget.Location : spec.Location;

    private static ImmutableArray<GraphEdge> BuildEdges(ImmutableArray<GraphNode> nodes)
    {
        var edges = ImmutableArray.CreateBuilder<GraphEdge>();
        if (nodes.IsEmpty)
        {
            return [];
        }

        var layers = nodes.GroupBy(n => n.Layer).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        edges.AddRange(layers[0].Select(n => new GraphEdge("input", n.Id)));
        for (var i = 0; i + 1 < layers.Count; i++)
        {
            foreach (var from in layers[i])
            {
                edges.AddRange(layers[i + 1].Select(to => new GraphEdge(from.Id, to.Id)));
            }
        }

        edges.AddRange(layers[^1].Select(n => new GraphEdge(n.Id, "output")));
        return edges.ToImmutable();
    }
}
