using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;
using Microsoft.Extensions.AI;

namespace Compose.Cluster;

/// <summary>Where a pipeline's models run: here (hosted or built on the spot) or on a silo that hosts them.</summary>
public interface IModelRouting
{
    /// <summary>This process hosts the model.</summary>
    bool HostsLocally(string id);

    /// <summary>What another silo that hosts the model offers, or null when no other silo hosts it.</summary>
    ModelCapabilities? HostedElsewhere(string id);

    /// <summary>The hosted model, or <paramref name="create"/>'s client, behind this process's limit for the model.</summary>
    IChatClient Local(string id, Func<IChatClient> create);

    /// <summary>A client whose calls run on a silo that hosts the model.</summary>
    IChatClient Remote(string id, ModelSpec spec);
}

/// <summary>
/// A provider as the cluster sees it: a model hosted on some silo is checked and called there (so a silo or a
/// coordinator without the model's folder can still run pipelines that use it); any other model is built here as
/// the wrapped provider builds it, behind this process's per-model limit.
/// </summary>
public sealed class ClusterModelProvider(IModelProvider inner, IModelRouting routing) : IModelProvider
{
    public string Name => inner.Name;

    /// <summary>Every provider of <paramref name="catalog"/> wrapped for <paramref name="routing"/>.</summary>
    public static ModelProviderCatalog Wrap(ModelProviderCatalog catalog, IModelRouting routing)
    {
        var wrapped = catalog;
        foreach (var name in catalog.Names.ToList())
        {
            if (catalog.TryGet(name, out var provider) && provider is not ClusterModelProvider)
            {
                wrapped = wrapped.With(new ClusterModelProvider(provider, routing));
            }
        }

        return wrapped;
    }

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context)
    {
        var id = ModelIdentity.Of(spec);
        return !routing.HostsLocally(id) && routing.HostedElsewhere(id) is not null ? [] : inner.Check(spec, context);
    }

    public IChatClient Create(ModelSpec spec, ModelProviderContext context)
    {
        var id = ModelIdentity.Of(spec);
        if (routing.HostsLocally(id))
        {
            return routing.Local(id, () => throw new InvalidOperationException("a hosted model is built by its host"));
        }

        return routing.HostedElsewhere(id) is not null ? routing.Remote(id, spec) : routing.Local(id, () => inner.Create(spec, context));
    }

    public ModelLimits? Limits(ModelSpec spec, ModelProviderContext context) => inner.Limits(spec, context);

    public ModelCapabilities Capabilities(ModelSpec spec, ModelProviderContext context)
    {
        var id = ModelIdentity.Of(spec);
        return !routing.HostsLocally(id) && routing.HostedElsewhere(id) is { } elsewhere ? elsewhere : inner.Capabilities(spec, context);
    }
}

/// <summary>
/// Routing as a coordinator sees the cluster from outside (<see cref="SiloView"/>s): models hosted on silos are
/// checked there; nothing is built here.
/// </summary>
public sealed class ViewRouting(IReadOnlyList<SiloView> silos) : IModelRouting
{
    private readonly ImmutableDictionary<string, int> _hosted = silos
        .SelectMany(s => s.Models).GroupBy(m => m.Key, StringComparer.Ordinal)
        .ToImmutableDictionary(g => g.Key, g => g.Aggregate(~0, (all, m) => all & m.Value), StringComparer.Ordinal);

    public bool HostsLocally(string id) => false;

    public ModelCapabilities? HostedElsewhere(string id) => _hosted.TryGetValue(id, out var capabilities) ? (ModelCapabilities)capabilities : null;

    public IChatClient Local(string id, Func<IChatClient> create) => create();

    public IChatClient Remote(string id, ModelSpec spec) =>
        throw new InvalidOperationException("a coordinator checks pipelines; silos build them");
}
