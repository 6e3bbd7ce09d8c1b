using Compose.Language;
using Compose.Models.Providers;
using Compose.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Compose.SemanticKernel.Tests;

/// <summary>A real Semantic Kernel <see cref="Kernel"/> whose chat service is a Compose pipeline.</summary>
public sealed class KernelIntegrationTests : IDisposable
{
    private readonly PipelineFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task A_prompt_function_answers_with_the_pipeline_and_its_usage_reaches_the_metadata()
    {
        var builder = Kernel.CreateBuilder();
        builder.AddComposePipeline(_files.GenerateFuse());
        var kernel = builder.Build();

        var function = kernel.CreateFunctionFromPrompt("Question: {{$question}} What is the capital of France?");
        var result = await kernel.InvokeAsync(function, new KernelArguments { ["question"] = "Geography." });

        Assert.Equal("Fused: the capital of France is Paris.", result.GetValue<string>());
        var usage = Assert.IsType<UsageDetails>(result.Metadata!["Usage"]);

        // The whole pipeline's usage (3 samples + 1 fuse), not one call's.
        var pipeline = kernel.Services.GetRequiredKeyedService<RunnablePipeline>(null);
        var run = await pipeline.RunAsync("Question: Geography. What is the capital of France?");
        Assert.Equal(4, run.Usage.Calls);
        Assert.Equal(run.Usage.InputTokens, usage.InputTokenCount);
        Assert.Equal(run.Usage.OutputTokens, usage.OutputTokenCount);
    }

    [Fact]
    public async Task Seed_and_budget_pass_through_prompt_execution_settings()
    {
        var builder = Kernel.CreateBuilder();
        builder.AddComposePipeline(_files.Single(), serviceId: "single");
        builder.AddComposePipeline(_files.GenerateFuse(), serviceId: "fused");
        var kernel = builder.Build();

        async Task<string> Ask(string service, Dictionary<string, object> extension)
        {
            var settings = new PromptExecutionSettings { ServiceId = service, ExtensionData = extension };
            var result = await kernel.InvokePromptAsync("What is the capital of France?", new KernelArguments(settings));
            return result.GetValue<string>()!;
        }

        // The seed reaches the run: each answer is the pipeline's own for that seed, and seeds pick different replies.
        using var single = ComposeSemanticKernel.LoadPipeline(_files.Single());
        var answers = new HashSet<string>();
        for (var seed = 0; seed < 12; seed++)
        {
            var expected = (await single.RunAsync("What is the capital of France?", new RunOptions { Seed = seed })).Answer!;
            Assert.Equal(expected, await Ask("single", new() { ["seed"] = seed }));
            answers.Add(expected);
        }

        Assert.True(answers.Count >= 2, string.Join("|", answers));

        // max_calls 3 stops before the fuse: the answer is the best sample so far, not the fused one.
        Assert.Equal("Fused: the capital of France is Paris.", await Ask("fused", new() { ["seed"] = 1 }));
        Assert.DoesNotContain("Fused", await Ask("fused", new() { ["seed"] = 1, ["max_calls"] = 3 }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_through_the_chat_completion_service_yields_the_final_technique_token_by_token()
    {
        var builder = Kernel.CreateBuilder();
        builder.AddComposePipeline(_files.GenerateFuse());
        var kernel = builder.Build();
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        var chunks = new List<string>();
        await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(new ChatHistory("What is the capital of France?"), kernel: kernel))
        {
            if (!string.IsNullOrEmpty(chunk.Content))
            {
                chunks.Add(chunk.Content);
            }
        }

        Assert.True(chunks.Count >= 5, string.Join("|", chunks));
        Assert.Equal("Fused: the capital of France is Paris.", string.Concat(chunks));
    }

    [Fact]
    public async Task The_pipeline_is_a_plugin_the_kernel_can_invoke()
    {
        var builder = Kernel.CreateBuilder();
        builder.AddComposePipelinePlugin(_files.Single());
        var kernel = builder.Build();

        var plugin = Assert.Single(kernel.Plugins);
        Assert.Equal("single", plugin.Name);
        using var pipeline = ComposeSemanticKernel.LoadPipeline(_files.Single());
        for (var seed = 0; seed < 4; seed++)
        {
            var answer = await kernel.InvokeAsync<string>("single", ComposeKernelFunctions.AskFunctionName,
                new KernelArguments { ["question"] = "What is the capital of France?", ["seed"] = seed });
            Assert.Equal((await pipeline.RunAsync("What is the capital of France?", new RunOptions { Seed = seed })).Answer, answer);
        }

        var function = plugin[ComposeKernelFunctions.AskFunctionName];
        Assert.Equal(["question", "seed", "max_calls"], function.Metadata.Parameters.Select(p => p.Name));
    }

    [Fact]
    public async Task Pipeline_models_resolve_from_the_hosts_keyed_chat_clients()
    {
        var path = _files.Write("host.yaml", """
            compose: 1
            name: host-models
            models:
              writer: { provider: host, service_id: small }
            defaults: { model: writer }
            layers:
              - generate: { samples: 2 }
              - fuse: {}
            """);
        var small = new ScriptedChatClient([new ScriptedRule(new("^You have been given"), ["fused by the host's model"])], "a sample", TimeSpan.Zero, "small");
        var builder = Kernel.CreateBuilder();
        builder.Services.AddKeyedChatClient("small", small);
        builder.AddComposePipeline(path);
        var kernel = builder.Build();

        var result = await kernel.InvokePromptAsync("Anything?");
        Assert.Equal("fused by the host's model", result.GetValue<string>());
    }

    [Fact]
    public void A_host_model_without_a_registered_client_fails_with_a_located_diagnostic()
    {
        var path = _files.Write("missing.yaml", "compose: 1\nname: m\nmodels:\n  writer: { provider: host, service_id: nowhere }\ndefaults: { model: writer }\nlayers:\n  - generate: {}\n");
        var services = new ServiceCollection().BuildServiceProvider();

        var ex = Assert.Throws<ComposePipelineException>(() => ComposeSemanticKernel.LoadPipeline(path, services));
        var diagnostic = Assert.Single(ex.Diagnostics, d => d.IsError);
        Assert.Equal(HostChatClientProvider.ServiceNotFound, diagnostic.Code);
        Assert.Equal(4, diagnostic.Location.Line);
        Assert.Contains("'nowhere'", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_model_outside_a_host_is_refused()
    {
        var path = _files.Write("nohost.yaml", "compose: 1\nname: m\nmodels:\n  writer: { provider: host }\ndefaults: { model: writer }\nlayers:\n  - generate: {}\n");
        var ex = Assert.Throws<ComposePipelineException>(() => ComposeSemanticKernel.LoadPipeline(path, services: null));
        Assert.Equal(HostChatClientProvider.NoHostServices, Assert.Single(ex.Diagnostics, d => d.IsError).Code);
    }

    [Fact]
    public void Execution_settings_values_of_any_numeric_shape_are_normalised()
    {
        var options = ComposeChatClient.Normalize(new ChatOptions
        {
            AdditionalProperties = new() { ["seed"] = System.Text.Json.JsonDocument.Parse("7").RootElement, ["max_calls"] = "5" },
        })!;
        Assert.Equal(7, options.Seed);
        Assert.Equal(5, options.AdditionalProperties!["compose.max_calls"]);
        Assert.Null(ComposeChatClient.Normalize(null));
    }
}
