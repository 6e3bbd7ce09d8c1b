using System.Text.Json;

namespace Compose.Cli.Tests;

/// <summary>The offline model in models/arith is the CLI's default: real inference, no network, no model file.</summary>
public sealed class ShippedModelTests
{
    [Fact]
    public void The_build_copies_the_model_next_to_the_binaries_and_the_cli_makes_it_the_default()
    {
        var folder = ShippedModel.Find(AppContext.BaseDirectory);
        Assert.Equal(Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, ShippedModel.Folder)), folder);
        var spec = ProviderSetup.Catalog.DefaultModel;
        Assert.NotNull(spec);
        Assert.Equal(("default", "onnx"), (spec.Name, spec.Provider));
        Assert.True(File.Exists(Path.Combine(spec.Options["path"]!.ToString()!, "model.onnx")));
    }

    [Fact]
    public void A_source_checkout_is_found_from_below_the_repository()
    {
        var below = Repo.Path("src", "Compose.Cli");
        Assert.Equal(Repo.Path("models", "arith"), ShippedModel.Find(Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N")), below));
    }

    [Fact]
    public async Task Arith_vote_answers_with_a_number_on_the_real_model_with_no_models_file()
    {
        var result = await Cli.Process(["run", "pipelines/arith-vote.yaml", "--input", "What is 123+456?", "--json"]);
        Assert.True(result.ExitCode == 0, result.All);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Matches(@"^\d+$", json.RootElement.GetProperty("answer").GetString());
        Assert.Equal(16, json.RootElement.GetProperty("usage").GetProperty("calls").GetInt32());
        Assert.False(result.ShowsStackTrace, result.All);
    }
}
