using Compose.Models;

namespace Compose.Techniques;

/// <summary>The techniques of a provider catalog, as a <see cref="TechniqueCatalog"/> to read or extend.</summary>
public static class TechniqueCatalogExtensions
{
    /// <summary>The catalog of techniques pipelines built with <paramref name="catalog"/> may use.</summary>
    public static TechniqueCatalog TechniqueCatalog(this ModelProviderCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return Techniques.TechniqueCatalog.From(catalog.Techniques);
    }

    /// <summary>A provider catalog whose pipelines may also use <paramref name="definition"/>.</summary>
    public static ModelProviderCatalog WithTechnique(this ModelProviderCatalog catalog, TechniqueDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.WithTechniques(catalog.TechniqueCatalog().With(definition));
    }
}
