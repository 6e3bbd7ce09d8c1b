using System.Collections.Immutable;
using Compose.Language;

namespace Compose.Models;

/// <summary>
/// The providers a host offers to pipelines, by name, and the model used when a pipeline names none
/// (or names <c>default</c> without defining it). Immutable: <see cref="With(IModelProvider)"/> returns a new catalog.
/// </summary>
public sealed class ModelProviderCatalog
{
    private readonly ImmutableDictionary<string, IModelProvider> _providers;

    private ModelProviderCatalog(ImmutableDictionary<string, IModelProvider> providers, ModelSpec? defaultModel)
    {
        _providers = providers;
        DefaultModel = defaultModel;
    }

    /// <summary>A catalog with no providers.</summary>
    public static ModelProviderCatalog Empty { get; } = new(ImmutableDictionary.Create<string, IModelProvider>(StringComparer.Ordinal), null);

    /// <summary>The model spec used for the name <c>default</c> when a pipeline does not define it.</summary>
    public ModelSpec? DefaultModel { get; }

    public IEnumerable<string> Names => _providers.Keys.Order(StringComparer.Ordinal);

    public ModelProviderCatalog With(IModelProvider provider) => new(_providers.SetItem(provider.Name, provider), DefaultModel);

    public ModelProviderCatalog WithDefaultModel(ModelSpec? model) => new(_providers, model);

    public bool TryGet(string name, out IModelProvider provider) => _providers.TryGetValue(name, out provider!);
}
