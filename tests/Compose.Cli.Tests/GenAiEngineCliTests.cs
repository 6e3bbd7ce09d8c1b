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
}
