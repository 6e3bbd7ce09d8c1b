using System.Text.Json;

namespace Compose.Cli.Tests;

/// <summary>`provider: onnx` with `engine: genai` through the real CLI.</summary>
public sealed class GenAiEngineCliTests
{
    [Fact]
    public async Task Run_on_the_genai_engine_answers_47_plus_385()
    {
        var result = await Cli.Process(["run", "pipelines/arith-genai.yaml", "--input", "What is 47+385?", "--json"]);
        Assert.True(result.ExitCode == 0, result.All);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("432", json.RootElement.GetProperty("answer").GetString());
        Assert.False(result.ShowsStackTrace, result.All);
    }

    [Fact]
    public async Task Models_inspect_shows_which_engine_offers_which_capability()
    {
        var result = await Cli.Process(["models", "inspect", Repo.Path("models", "arith")]);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("engines (engine: compose | genai)", result.Out, StringComparison.Ordinal);
        foreach (var row in new[] { "loads this folder", "log-probabilities", "continuation", "constrained output", "CUDA" })
        {
            Assert.Contains(row, result.Out, StringComparison.Ordinal);
        }

        Assert.Contains("choices, regex, JSON schema (guidance)", result.Out, StringComparison.Ordinal);
        Assert.Contains("Microsoft.ML.OnnxRuntimeGenAI.Cuda", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reports_cuda_on_the_genai_engine_naming_the_package()
    {
        var dir = Directory.CreateTempSubdirectory("compose-genai-cuda-");
        try
        {
            var pipeline = Path.Combine(dir.FullName, "p.yaml");
            var model = Repo.Path("models", "arith").Replace("\\", "/", StringComparison.Ordinal);
            await File.WriteAllTextAsync(pipeline, $$"""
                compose: 1
                name: cuda
                models:
                  m: { provider: onnx, path: "{{model}}", engine: genai, device: cuda }
                defaults: { model: m }
                layers:
                  - generate: { samples: 1 }
                """);
            var result = await Cli.Process(["validate", pipeline]);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("ONNX015", result.All, StringComparison.Ordinal);
            Assert.Contains("Microsoft.ML.OnnxRuntimeGenAI.Cuda", result.All, StringComparison.Ordinal);
            Assert.False(result.ShowsStackTrace, result.All);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Theory]
    [InlineData("compose")]
    [InlineData("genai")]
    public async Task Constrained_verify_runs_on_both_engines_and_a_schema_needs_the_genai_engine(string engine)
    {
        var dir = Directory.CreateTempSubdirectory("compose-constrained-");
        try
        {
            var model = Repo.Path("models", "arith").Replace("\\", "/", StringComparison.Ordinal);
            var verify = Path.Combine(dir.FullName, "verify.yaml");
            const string prompt = "Is {{ question | string.replace 'What is ' '' | string.replace '?' '' }}={{ candidate.text }} correct?"; // arith's trained verify prompt
            await File.WriteAllTextAsync(verify, $$"""
                compose: 1
                name: constrained-verify
                models:
                  m: { provider: onnx, path: "{{model}}", engine: {{engine}} }
                defaults: { model: m, temperature: 0.8, max_tokens: 8 }
                layers:
                  - generate: { samples: 4 }
                  - verify:
                      model: m
                      constrained: true
                      on_none: keep_all
                      prompt: "{{prompt}}"
                output: first
                """);
            var run = await Cli.Process(["run", verify, "--input", "What is 47+385?", "--json", "--trace", Path.Combine(dir.FullName, "trace.jsonl")]);
            Assert.True(run.ExitCode == 0, run.All);
            var verdicts = File.ReadLines(Path.Combine(dir.FullName, "trace.jsonl"))
                .Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => e.TryGetProperty("purpose", out var p) && p.GetString() == "verify" && e.TryGetProperty("response", out _))
                .Select(e => e.GetProperty("response").GetString())
                .ToList();
            Assert.Equal(4, verdicts.Count);
            Assert.All(verdicts, v => Assert.Contains(v, (string?[])["yes", "no"]));

            var schema = Path.Combine(dir.FullName, "schema.yaml");
            await File.WriteAllTextAsync(schema, $$"""
                compose: 1
                name: schema
                models:
                  m: { provider: onnx, path: "{{model}}", engine: {{engine}} }
                defaults: { model: m }
                layers:
                  - generate: { json_schema: '{"type": "integer"}' }
                """);
            var validate = await Cli.Process(["validate", schema]);
            if (engine == "genai")
            {
                Assert.True(validate.ExitCode == 0, validate.All);
            }
            else
            {
                Assert.NotEqual(0, validate.ExitCode);
                Assert.Contains("CMP507", validate.All, StringComparison.Ordinal);
                Assert.Contains("JSON schema", validate.All, StringComparison.Ordinal);
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Theory]
    [InlineData("compose")]
    [InlineData("genai")]
    public async Task Constrained_rank_judgements_always_parse_and_a_listwise_ranking_needs_the_genai_engine(string engine)
    {
        // Short templates: the shipped model's context is 96 tokens.
        const string Pairwise = "{{ a.text }} or {{ b.text }}";
        const string Pointwise = "{{ candidate.text }}";
        const string Listwise = "{{ for c in candidates }}{{ c.text }} {{ end }}";
        var dir = Directory.CreateTempSubdirectory("compose-constrained-rank-");
        try
        {
            var model = Repo.Path("models", "arith").Replace("\\", "/", StringComparison.Ordinal);
            async Task<List<string?>> RankReplies(string method)
            {
                var path = Path.Combine(dir.FullName, $"rank-{method}.yaml");
                await File.WriteAllTextAsync(path, $$"""
                    compose: 1
                    name: constrained-rank-{{method}}
                    models:
                      m: { provider: onnx, path: "{{model}}", engine: {{engine}} }
                    defaults: { model: m, temperature: 0.8, max_tokens: 16 }
                    layers:
                      - generate: { samples: 3 }
                      - rank:
                          model: m
                          method: {{method}}
                          keep: 1
                          constrained: true
                          prompts: { rank_pairwise: "{{Pairwise}}", rank_pointwise: "{{Pointwise}}", rank_listwise: "{{Listwise}}" }
                    output: first
                    """);
                var trace = Path.Combine(dir.FullName, $"trace-{method}.jsonl");
                var run = await Cli.Process(["run", path, "--input", "What is 47+385?", "--json", "--trace", trace]);
                Assert.True(run.ExitCode == 0, run.All);
                return [.. File.ReadLines(trace)
                    .Select(l => JsonDocument.Parse(l).RootElement)
                    .Where(e => e.TryGetProperty("purpose", out var p) && p.GetString() == "rank" && e.TryGetProperty("response", out _))
                    .Select(e => e.GetProperty("response").GetString())];
            }

            var pairwise = await RankReplies("pairwise");
            Assert.Equal(3, pairwise.Count); // one call per pair of three candidates
            Assert.All(pairwise, v => Assert.Contains(v, (string?[])["A", "B"]));
            var pointwise = await RankReplies("pointwise");
            Assert.Equal(3, pointwise.Count);
            Assert.All(pointwise, v => Assert.Contains(v, Enumerable.Range(1, 10).Select(i => (string?)i.ToString(System.Globalization.CultureInfo.InvariantCulture))));

            if (engine == "genai")
            {
                var listwise = Assert.Single(await RankReplies("listwise"));
                Assert.Matches(@"^\[[123]\]( > \[[123]\]){2}$", listwise);
            }
            else
            {
                var listwise = Path.Combine(dir.FullName, "rank-listwise.yaml");
                await File.WriteAllTextAsync(listwise, $$"""
                    compose: 1
                    name: constrained-listwise
                    models:
                      m: { provider: onnx, path: "{{model}}", engine: compose }
                    defaults: { model: m }
                    layers:
                      - generate: { samples: 3 }
                      - rank: { model: m, constrained: true, prompts: { rank_listwise: "{{Listwise}}" } }
                    """);
                var validate = await Cli.Process(["validate", listwise]);
                Assert.NotEqual(0, validate.ExitCode);
                Assert.Contains("CMP507", validate.All, StringComparison.Ordinal);
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
