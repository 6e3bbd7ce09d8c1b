using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;
using Compose.Prompts;

namespace Compose.Compilation;

/// <summary>
/// Checks, before any call, that each technique's prompts fit the context of the models it calls, where the
/// provider can tell (<see cref="IModelProvider.Limits"/>: the local onnx models). A prompt that cannot fit even
/// with an empty question and no candidates is an error (<c>CMP605</c>): every call would fail. One that fits
/// empty but can outgrow the context with the candidates it is shown (each as long as the earlier layers' max_tokens)
/// is a warning (<c>CMP606</c>). The question's own length is not known here and is not counted, nor is the
/// answer (a local model shortens it to the room left).
/// </summary>
internal static class ContextCheck
{
    public static IEnumerable<Diagnostic> Run(PipelineGraph graph, ModelProviderCatalog catalog, ModelProviderContext context)
    {
        var limits = new Dictionary<string, ModelLimits?>(StringComparer.Ordinal);
        var earlierAnswer = 0L;
        var critiqued = false;
        foreach (var layer in graph.Nodes.GroupBy(n => n.Layer).OrderBy(g => g.Key))
        {
            foreach (var node in layer)
            {
                var models = node.ResolvedModels.Where(m => Limits(m, graph.Spec, catalog, context, limits) is not null).ToList();
                if (models.Count == 0)
                {
                    continue;
                }

                var definition = catalog.Techniques.For<ITechniqueRules>(node.Spec);
                var (templates, problems) = PromptLibrary.Resolve(node.Spec, definition.Templates, graph.Spec.BaseDirectory, context.Files);
                if (problems.Count > 0)
                {
                    continue; // the template problems are reported on their own
                }

                var used = definition.TemplatesUsedOf(node.Spec).ToHashSet(StringComparer.Ordinal);
                var shown = definition.ShownPerCallOf(node.Spec, node.MaxCandidatesIn) * (earlierAnswer + (critiqued ? earlierAnswer : 0));
                foreach (var model in models)
                {
                    var limit = limits[model]!;
                    var (name, least) = templates.Where(t => used.Contains(t.Key)).Select(t => (t.Key, Tokens: Least(t.Value, limit))).Where(t => t.Tokens is not null)
                        .OrderByDescending(t => t.Tokens).FirstOrDefault();
                    if (least is not { } tokens)
                    {
                        continue;
                    }

                    if (tokens >= limit.ContextTokens)
                    {
                        yield return Diagnostic.Error(DiagnosticCodes.PromptExceedsContext, node.Spec.Location,
                            $"'{node.Spec.Kind}' ({node.Id}) prompts model '{model}' with at least {tokens} tokens (its template '{name}', with an empty question), more than the model's context of {limit.ContextTokens}",
                            $"Bind a model with a longer context (--models FILE), or shorten the template (prompts: {{ {name}: ... }}).");
                    }
                    else if (shown > 0 && tokens + shown >= limit.ContextTokens)
                    {
                        yield return Diagnostic.Warning(DiagnosticCodes.PromptMayExceedContext, node.Spec.Location,
                            $"'{node.Spec.Kind}' ({node.Id}) may outgrow the context of model '{model}' ({limit.ContextTokens} tokens): its template '{name}' takes {tokens} and the candidates it shows up to {shown}, before the question",
                            "Lower the max_tokens of earlier layers, show fewer candidates (rank keep, samples), or bind a model with a longer context.");
                    }
                }
            }

            var critiques = layer.Where(n => catalog.Techniques.For<ITechniqueRules>(n.Spec).Effect == CandidateEffect.Critiques).ToHashSet();
            earlierAnswer = Math.Max(earlierAnswer, layer.Where(n => !critiques.Contains(n)).Select(n => (long)(n.Spec.MaxTokens ?? graph.Spec.Defaults.MaxTokens)).DefaultIfEmpty(0).Max());
            critiqued |= critiques.Count > 0;
        }
    }

    private static ModelLimits? Limits(string name, PipelineSpec spec, ModelProviderCatalog catalog, ModelProviderContext context, Dictionary<string, ModelLimits?> cache)
    {
        if (cache.TryGetValue(name, out var known))
        {
            return known;
        }

        var model = spec.FindModel(name) ?? (name == "default" ? catalog.DefaultModel : null);
        ModelLimits? limits = null;
        if (model is not null && catalog.TryGet(model.Provider, out var provider))
        {
            try
            {
                limits = provider.Limits(model, context.For(model));
            }
            catch (Exception ex) when (ex is DiagnosticException or IOException or InvalidOperationException)
            {
                limits = null;
            }
        }

        cache[name] = limits;
        return limits;
    }

    /// <summary>
    /// The tokens of a template rendered with an empty question, no candidates (or one empty one where it shows
    /// one), no critique and no tests: the least any call of it sends.
    /// </summary>
    private static int? Least(PromptTemplate template, ModelLimits limits)
    {
        try
        {
            var empty = PromptModels.Candidate(1, "", "", [], null, null);
            var data = PromptModels.ForQuestion("");
            data["candidate"] = empty;
            data["a"] = empty;
            data["b"] = empty;
            data["critique"] = "";
            data["count"] = 1;
            data["tests"] = new Scriban.Runtime.ScriptArray();
            return limits.CountPromptTokens(template.Render(data));
        }
        catch (PromptRenderException)
        {
            return null;
        }
    }
}
