using Compose.Examples;
using Compose.Language;
using Compose.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Compose.SemanticKernel.Tests;

/// <summary>A technique of one's own (the keyword_filter example) registered in a host's container.</summary>
public sealed class CustomTechniqueTests
{
    private static string Example { get; } = FindExample();

    [Fact]
    public async Task A_technique_added_with_AddComposeTechnique_is_usable_by_the_pipelines_the_container_loads()
    {
        var services = new ServiceCollection();
        services.AddComposeTechnique<KeywordFilterDefinition>();
        services.AddComposePipeline(Example);
        using var provider = services.BuildServiceProvider();

        var pipeline = provider.GetRequiredKeyedService<RunnablePipeline>(null);
        var result = await pipeline.RunAsync("What is the capital of Australia?", new RunOptions { Seed = 1 });

        Assert.Contains(pipeline.Graph.Nodes, n => n.Id == "L2.keyword_filter");
        Assert.Equal("Canberra is the capital of Australia, in the Australian Capital Territory.", result.Answer);
    }

    [Fact]
    public void Without_it_the_pipeline_names_an_unknown_technique()
    {
        var services = new ServiceCollection();
        services.AddComposePipeline(Example);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ComposePipelineException>(() => provider.GetRequiredKeyedService<RunnablePipeline>(null));

        var error = Assert.Single(ex.Diagnostics, d => d.IsError);
        Assert.Equal(DiagnosticCodes.UnknownTechnique, error.Code);
        Assert.Equal("unknown technique 'keyword_filter'", error.Message);
    }

    private static string FindExample()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Compose.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Compose.sln not found"), "examples", "CustomTechnique", "pipeline.yaml");
    }
}
