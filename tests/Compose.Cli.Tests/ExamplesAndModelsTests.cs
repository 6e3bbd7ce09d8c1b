namespace Compose.Cli.Tests;

public sealed class ExamplesAndModelsTests
{
    [Fact]
    public async Task The_Semantic_Kernel_example_app_runs_offline()
    {
        var dll = Repo.Path("examples", "SemanticKernelApp", "bin", "Debug", "net10.0", "SemanticKernelApp.dll");
        var release = Repo.Path("examples", "SemanticKernelApp", "bin", "Release", "net10.0", "SemanticKernelApp.dll");
        var built = File.Exists(release) && (!File.Exists(dll) || File.GetLastWriteTimeUtc(release) > File.GetLastWriteTimeUtc(dll)) ? release : dll;
        Assert.True(File.Exists(built), $"build the solution first: {built} is missing");
        var result = await RunDll(built);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("prompt function:", result.Out, StringComparison.Ordinal);
        Assert.Contains("plugin", result.Out, StringComparison.Ordinal);
        Assert.Matches(@"usage: \d+ input \+ \d+ output tokens", result.Out);
    }

    [Fact]
    public async Task The_custom_technique_example_app_registers_keyword_filter_and_runs_offline()
    {
        var dll = Repo.Path("examples", "CustomTechnique", "App", "bin", "Debug", "net10.0", "CustomTechniqueApp.dll");
        var release = Repo.Path("examples", "CustomTechnique", "App", "bin", "Release", "net10.0", "CustomTechniqueApp.dll");
        var built = File.Exists(release) && (!File.Exists(dll) || File.GetLastWriteTimeUtc(release) > File.GetLastWriteTimeUtc(dll)) ? release : dll;
        Assert.True(File.Exists(built), $"build the solution first: {built} is missing");
        var result = await RunDll(built);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Matches(@"(?m)^2\s+L2\.keyword_filter\s+keyword_filter\s+-\s+3→3\s+0\s+0\s+0$", result.Out);
        Assert.Contains("layer 2 (L2.keyword_filter) passed on 2:", result.Out, StringComparison.Ordinal);
        Assert.Contains("answer: Canberra is the capital of Australia, in the Australian Capital Territory.", result.Out, StringComparison.Ordinal);
        Assert.Equal("", result.Error);
    }

    [SkippableFact]
    public async Task Models_inspect_describes_a_model_folder()
    {
        var folder = Path.GetFullPath(Path.Combine(Repo.Root, "..", "shared", "models", "tiny-random-gpt2-fp32"));
        if (!Directory.Exists(folder))
        {
            Assert.False(Environment.GetEnvironmentVariable("COMPOSE_REQUIRE_SHARED") == "1", $"COMPOSE_REQUIRE_SHARED=1 but {folder} is missing");
            Skip.If(true, $"{folder} is not available; set COMPOSE_REQUIRE_SHARED=1 to fail instead");
        }

        var result = await Cli.Process(["models", "inspect", folder]);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("gpt2", result.Out, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("past_%d", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_inspect_on_a_broken_folder_is_bad_input_with_a_diagnostic()
    {
        var dir = Directory.CreateTempSubdirectory("compose-broken-model-");
        try
        {
            var result = await Cli.Process(["models", "inspect", dir.FullName]);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("genai_config.json", result.Error, StringComparison.Ordinal);
            Assert.False(result.ShowsStackTrace, result.All);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    private static async Task<CliResult> RunDll(string dll)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(dll)! };
        psi.ArgumentList.Add(dll);
        using var process = System.Diagnostics.Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }
}
