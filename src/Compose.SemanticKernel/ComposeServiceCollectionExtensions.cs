using Compose.Runtime;
using Compose.Techniques;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.Extensions.DependencyInjection;

namespace Compose.SemanticKernel;

/// <summary>Registers Compose pipelines in a service collection, in the style of Semantic Kernel's own <c>Add...ChatCompletion</c>.</summary>
public static class ComposeServiceCollectionExtensions
{
    /// <summary>
    /// Registers the pipeline file as a chat completion service (<see cref="IChatCompletionService"/>,
    /// through the pipeline's <see cref="IChatClient"/>), keyed by <paramref name="serviceId"/> (unkeyed
    /// when null), and the <see cref="RunnablePipeline"/> itself under the same key. With a service id,
    /// the pipeline is also registered as a keyed <see cref="IChatClient"/> (unkeyed, it would shadow the
    /// host's own chat client that <c>provider: host</c> models resolve). The pipeline is built on first
    /// use, with the container's services; the container disposes it.
    /// </summary>
    public static IServiceCollection AddComposePipeline(this IServiceCollection services, string path, string? serviceId = null, ComposePipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        services.AddKeyedSingleton<RunnablePipeline>(serviceId, (sp, _) => ComposeSemanticKernel.LoadPipeline(path, sp, options));
        services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) =>
            new ComposeChatClient(sp.GetRequiredKeyedService<RunnablePipeline>(serviceId)).AsChatCompletionService(sp));
        if (serviceId is not null)
        {
            services.AddKeyedSingleton<IChatClient>(serviceId, (sp, _) => new ComposeChatClient(sp.GetRequiredKeyedService<RunnablePipeline>(serviceId)));
        }

        return services;
    }

    /// <summary>
    /// Registers a technique of your own: pipelines this container loads (<see cref="AddComposePipeline"/>,
    /// <see cref="AddComposePipelinePlugin"/>, <see cref="ComposeSemanticKernel.LoadPipeline"/> with its services) may use it
    /// like a built-in. See docs/techniques.md.
    /// </summary>
    public static IServiceCollection AddComposeTechnique<TDefinition>(this IServiceCollection services)
        where TDefinition : TechniqueDefinition, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<TechniqueDefinition>(new TDefinition());
        return services;
    }

    /// <summary>Registers <paramref name="definition"/> (see <see cref="AddComposeTechnique{TDefinition}(IServiceCollection)"/>).</summary>
    public static IServiceCollection AddComposeTechnique(this IServiceCollection services, TechniqueDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(definition);
        services.AddSingleton(definition);
        return services;
    }

    /// <summary>
    /// Registers the pipeline file as a plugin with one function, <c>ask(question, seed?, max_calls?)</c>;
    /// the plugin is named after the pipeline unless <paramref name="pluginName"/> is given.
    /// </summary>
    public static IServiceCollection AddComposePipelinePlugin(this IServiceCollection services, string path, string? pluginName = null, ComposePipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var key = "compose-plugin:" + Path.GetFullPath(path) + ":" + pluginName;
        services.AddKeyedSingleton<RunnablePipeline>(key, (sp, _) => ComposeSemanticKernel.LoadPipeline(path, sp, options));
        services.AddSingleton(sp => ComposeKernelFunctions.CreatePlugin(sp.GetRequiredKeyedService<RunnablePipeline>(key), pluginName));
        return services;
    }
}
