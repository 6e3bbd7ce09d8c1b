using Microsoft.SemanticKernel;

namespace Compose.SemanticKernel;

/// <summary><see cref="IKernelBuilder"/> extensions: <c>builder.AddComposePipeline("pipelines/x.yaml")</c>.</summary>
public static class ComposeKernelBuilderExtensions
{
    /// <summary>The pipeline file as the kernel's chat completion service (see <see cref="ComposeServiceCollectionExtensions.AddComposePipeline"/>).</summary>
    public static IKernelBuilder AddComposePipeline(this IKernelBuilder builder, string path, string? serviceId = null, ComposePipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddComposePipeline(path, serviceId, options);
        return builder;
    }

    /// <summary>The pipeline file as a plugin (see <see cref="ComposeServiceCollectionExtensions.AddComposePipelinePlugin"/>).</summary>
    public static IKernelBuilder AddComposePipelinePlugin(this IKernelBuilder builder, string path, string? pluginName = null, ComposePipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddComposePipelinePlugin(path, pluginName, options);
        return builder;
    }
}
