using System.Text.Json;

namespace Compose.Cli.Tests;

/// <summary>The offline model in models/arith is the CLI's default: real inference, no network, no model file.</summary>
public sealed class ShippedModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("compose-shipped-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// What the model is for, measured through the real CLI on held-out questions: one sample is fallible,
    /// sixteen voted are much better, and the right answer is almost always among the sixteen.
    /// </summary>
    [Fact]
    public async Task Voting_over_samples_of_the_shipped_model_beats_one_sample_on_held_out_questions()
    {
        var result = await Cli.Process(["eval", "pipelines/arith-single.yaml", "pipelines/arith-vote.yaml", "--benchmark", "benchmarks/arith/test.jsonl",
            "--scorer", "number", "--limit", "100", "--concurrency", "16", "--out", _dir, "--json"]);
        Assert.True(result.ExitCode == 0, result.All);
        using var json = JsonDocument.Parse(result.Out);
        var runs = json.RootElement.GetProperty("results");
        var single = runs[0].GetProperty("accuracy").GetDouble();
        var vote = runs[1].GetProperty("accuracy").GetDouble();
        Assert.InRange(single, 0.30, 0.75);
        Assert.True(vote >= single + 0.15, $"vote@16 {vote:P1}, one sample {single:P1}");
        Assert.True(runs[1].GetProperty("coverage").GetDouble() >= 0.85, result.Out);
        var passAt = runs[1].GetProperty("pass_at_k").EnumerateArray().Select(p => (p.GetProperty("k").GetInt32(), p.GetProperty("value").GetDouble())).ToList();
        Assert.Equal([1, 2, 4, 8, 16], passAt.Select(p => p.Item1));
        Assert.True(passAt.Zip(passAt.Skip(1)).All(p => p.First.Item2 <= p.Second.Item2), result.Out);
    }

    [Fact]
    public async Task The_shipped_model_verifies_claims_better_than_chance_but_not_perfectly()
    {
        var result = await Cli.Process(["eval", "benchmarks/arith/pipelines/verifier.yaml", "--benchmark", "benchmarks/arith/verify.jsonl",
            "--scorer", "exact", "--limit", "200", "--concurrency", "16", "--out", _dir, "--json"]);
        Assert.True(result.ExitCode == 0, result.All);
        using var json = JsonDocument.Parse(result.Out);
        Assert.InRange(json.RootElement.GetProperty("results")[0].GetProperty("accuracy").GetDouble(), 0.6, 0.99);
    }

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
