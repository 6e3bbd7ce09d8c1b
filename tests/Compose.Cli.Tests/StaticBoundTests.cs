using Compose.Language;
using Compose.Runtime;

namespace Compose.Cli.Tests;

/// <summary>
/// The central promise of the compiler: a run never makes more calls, nor spends more input or output tokens, than
/// the static bound <c>compose graph</c> prints (for a question within the bound's assumed size). Checked on every
/// shipped pipeline and on valid random mutations of them.
/// </summary>
public sealed class StaticBoundTests
{
    private const string Question = "What is 6*7?";

    public static TheoryData<string> Shipped() => [.. Repo.PipelineFiles()];

    [Theory]
    [MemberData(nameof(Shipped))]
    public async Task A_shipped_pipeline_stays_within_its_static_bound(string path)
    {
        var (models, problems) = ModelsFileReader.ReadFile(Repo.ScriptedModels);
        Assert.Empty(problems.Where(d => d.IsError));
        foreach (var seed in new long[] { 0, 1, 2 })
        {
            await AssertWithinBound(path, models, seed);
        }
    }

    [Fact]
    public async Task Valid_mutations_of_the_shipped_pipelines_stay_within_their_static_bound()
    {
        var (models, _) = ModelsFileReader.ReadFile(Repo.ScriptedModels);
        var seeds = Repo.PipelineFiles().Select(File.ReadAllText).ToArray();
        var random = new Random(20261129);
        var dir = Directory.CreateTempSubdirectory("compose-bound-");
        var checkedRuns = 0;
        try
        {
            for (var i = 0; i < 600 && checkedRuns < 120; i++)
            {
                var file = Path.Combine(dir.FullName, $"m{i}.yaml");
                await File.WriteAllTextAsync(file, MutationFuzzTests.Mutate(seeds[random.Next(seeds.Length)], random, 1 + random.Next(3)));
                if (await AssertWithinBound(file, models, i))
                {
                    checkedRuns++;
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        Assert.True(checkedRuns >= 40, $"only {checkedRuns} mutations compiled and ran: too few to trust the check");
    }

    /// <summary>Runs the pipeline (false when it does not compile) and asserts its usage is within the graph's bound.</summary>
    private static async Task<bool> AssertWithinBound(string path, System.Collections.Immutable.ImmutableArray<ModelSpec> models, long seed)
    {
        var needsModels = !Path.GetFileName(path).StartsWith("arith-", StringComparison.Ordinal);
        var (pipeline, _) = PipelineFactory.Build(path, Repo.ShippedCatalog, models: needsModels ? models : default);
        if (pipeline is null)
        {
            return false;
        }

        using (pipeline)
        {
            var bound = pipeline.Graph.Bound;
            var result = await pipeline.RunAsync(Question, new RunOptions { Seed = seed });
            var where = $"{path} (seed {seed}): {result.Usage.Calls} calls, {result.Usage.InputTokens} input and {result.Usage.OutputTokens} output tokens; bound {bound.Calls} calls, {bound.InputTokens} and {bound.OutputTokens}";
            Assert.True(result.Usage.Calls <= bound.Calls, where);
            Assert.True(result.Usage.InputTokens <= bound.InputTokens, where);
            Assert.True(result.Usage.OutputTokens <= bound.OutputTokens, where);
            return true;
        }
    }
}
