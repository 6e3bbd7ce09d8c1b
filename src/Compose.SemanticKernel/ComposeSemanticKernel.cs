using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;
using Compose.Models.Providers;
using Compose.Runtime;
using Compose.Techniques;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Compose.SemanticKernel;

/// <summary>Loads pipeline files for a host with services: models may be the host's own chat clients (<c>provider: host</c>).</summary>
public static class ComposeSemanticKernel
{
    /// <summary>The standard providers plus <c>host</c> (<see cref="HostChatClientProvider"/>).</summary>
    public static ModelProviderCatalog Catalog { get; } = StandardProviders.Catalog.With(new HostChatClientProvider());

    /// <summary>
    /// Reads, checks, compiles and builds <paramref name="path"/> (relative paths against the current
    /// directory). <c>provider: host</c> models resolve from <paramref name="services"/>.
    /// Throws <see cref="ComposePipelineException"/> listing every problem when the pipeline cannot be built.
    /// </summary>
    public static RunnablePipeline LoadPipeline(string path, IServiceProvider? services = null, ComposePipelineOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= ComposePipelineOptions.Default;
        var full = Path.GetFullPath(path);
        var diagnostics = ImmutableArray<Diagnostic>.Empty;
        var models = ImmutableArray<ModelSpec>.Empty;
        if (options.ModelsFile is { } modelsFile)
        {
            (models, diagnostics) = ModelsFileReader.ReadFile(Path.GetFullPath(modelsFile), options.Files);
            if (diagnostics.Any(d => d.IsError))
            {
                throw new ComposePipelineException(full, diagnostics);
            }
        }

        var catalog = WithRegisteredTechniques(options.Catalog, services);
        var context = new ModelProviderContext
        {
            BaseDirectory = Path.GetDirectoryName(full)!,
            Catalog = catalog,
            Services = services,
            Files = options.Files,
            LoggerFactory = services?.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
        };
        var (pipeline, problems) = PipelineFactory.Build(full, catalog, options.Build, context, models);
        return pipeline ?? throw new ComposePipelineException(full, diagnostics.AddRange(problems));
    }

    /// <summary>The catalog with the techniques registered in <paramref name="services"/> (<c>AddComposeTechnique</c>) that it does not hold yet.</summary>
    private static ModelProviderCatalog WithRegisteredTechniques(ModelProviderCatalog catalog, IServiceProvider? services)
    {
        var registered = services?.GetServices<Techniques.TechniqueDefinition>().Where(d => !catalog.TechniqueCatalog().TryGet(d.Key, out var known) || known.GetType() != d.GetType()).ToList();
        return registered is { Count: > 0 } ? catalog.WithTechniques(catalog.TechniqueCatalog().With(registered)) : catalog;
    }
}
