using System.ComponentModel;
using System.Text;
using Compose.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace Compose.SemanticKernel;

/// <summary>A compiled pipeline as a Semantic Kernel function and plugin, callable from prompts, planners and function calling.</summary>
public static class ComposeKernelFunctions
{
    /// <summary>The name of the plugin's function.</summary>
    public const string AskFunctionName = "ask";

    /// <summary>
    /// A function <c>ask(question, seed?, max_calls?)</c> that runs the pipeline and returns its answer.
    /// It throws <see cref="PipelineRunException"/> when the pipeline produces no answer.
    /// </summary>
    public static KernelFunction CreateFunction(RunnablePipeline pipeline, string? functionName = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var client = new ComposeChatClient(pipeline);
        return KernelFunctionFactory.CreateFromMethod(
            async ([Description("The question or task to answer.")] string question,
                   [Description("Run seed; the same seed gives the same answer.")] long? seed = null,
                   [Description("Most model calls the pipeline may make for this question.")] int? max_calls = null,
                   CancellationToken cancellationToken = default) =>
            {
                var options = new ChatOptions { Seed = seed };
                if (max_calls is { } calls)
                {
                    options.AdditionalProperties = new() { [ComposeChatClient.MaxCallsKey] = calls };
                }

                var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, question)], options, cancellationToken).ConfigureAwait(false);
                return response.Text;
            },
            functionName ?? AskFunctionName,
            description ?? pipeline.Spec.Description ?? $"Answers a question with the Compose pipeline '{pipeline.Spec.Name}'.");
    }

    /// <summary>A plugin (named after the pipeline unless <paramref name="pluginName"/> is given) holding <see cref="CreateFunction"/>.</summary>
    public static KernelPlugin CreatePlugin(RunnablePipeline pipeline, string? pluginName = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        return KernelPluginFactory.CreateFromFunctions(pluginName ?? ToIdentifier(pipeline.Spec.Name), pipeline.Spec.Description, [CreateFunction(pipeline)]);
    }

    /// <summary>A Semantic Kernel name (letters, digits, underscores) for a pipeline name such as <c>self-consistency</c>.</summary>
    public static string ToIdentifier(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return builder.Length == 0 ? "pipeline" : builder.ToString();
    }
}
