using System.Collections.Immutable;
using Compose.Language;

namespace Compose.Models;

/// <summary>
/// The providers a host offers to pipelines, by name, the techniques they may use, and the model used when a pipeline names none
/// (or names <c>default</c> without defining it). Immutable: <see cref="With(IModelProvider)"/> returns a new catalog.
/// </summary>
public sealed class ModelProviderCatalog
{
    private readonly ImmutableDictionary<string, IModelProvider> _providers;

    private ModelProviderCatalog(ImmutableDictionary<string, IModelProvider> providers, ModelSpec? defaultModel, TechniqueSet techniques)
    {
        _providers = providers;
        DefaultModel = defaultModel;
        Techniques = techniques;
    }

    /// <summary>A catalog with no providers and the built-in techniques.</summary>
    public static ModelProviderCatalog Empty { get; } = new(ImmutableDictionary.Create<string, IModelProvider>(StringComparer.Ordinal), null, TechniqueSet.BuiltIn);

    /// <summary>
    /// The techniques pipelines built with this catalog may use (the built-ins unless replaced): the reader, the
    /// compiler and the runtime all go through it, nested pipelines included.
    /// </summary>
    public TechniqueSet Techniques { get; }

    /// <summary>The model spec used for the name <c>default</c> when a pipeline does not define it.</summary>
    public ModelSpec? DefaultModel { get; }

    public IEnumerable<string> Names => _providers.Keys.Order(StringComparer.Ordinal);

    public ModelProviderCatalog With(IModelProvider provider) => new(_providers.SetItem(provider.Name, provider), DefaultModel, Techniques);

    /// <summary>A catalog whose pipelines may use <paramref name="techniques"/> (for example the built-ins with a user's own added).</summary>
    public ModelProviderCatalog WithTechniques(TechniqueSet techniques) =>
        new(_providers, DefaultModel, techniques ?? throw new ArgumentNullException(nameof(techniques)));

    public ModelProviderCatalog WithDefaultModel(ModelSpec? model) => new(_providers, model, Techniques);

    public bool TryGet(string name, out IModelProvider provider) => _providers.TryGetValue(name, out provider!);
}
