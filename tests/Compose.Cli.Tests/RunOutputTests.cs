using System.Text.Json;
using System.Text.RegularExpressions;

namespace Compose.Cli.Tests;

/// <summary>What a new user meets first: one entry per candidate in --json, the vote's tally, each diagnostic once.</summary>
public sealed partial class RunOutputTests
{
    [Fact]
    public async Task Run_json_lists_each_candidate_once_with_its_layers_and_the_vote_tally()
    {
        var result = await Cli.Process(["run", "pipelines/self-consistency.yaml", "--models", Repo.ScriptedModels, "--input", "What is 6*7?", "--json", "--seed", "3"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var candidates = doc.RootElement.GetProperty("candidates").EnumerateArray().ToList();
        var ids = candidates.Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Equal(8, ids.Count); // 8 samples; the vote passes some on, they are not listed again
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var survivors = doc.RootElement.GetProperty("survivors").EnumerateArray().Select(s => s.GetString()).ToHashSet();
        foreach (var c in candidates)
        {
            var layers = c.GetProperty("layers").EnumerateArray().Select(l => l.GetInt32()).ToList();
            Assert.Equal(survivors.Contains(c.GetProperty("id").GetString()) ? [0, 1] : [0], layers);
        }

        var vote = Assert.Single(doc.RootElement.GetProperty("votes").EnumerateArray());
        Assert.Equal("L2.vote", vote.GetProperty("node").GetString());
        var tally = vote.GetProperty("tally").EnumerateArray().ToList();
        Assert.Equal(8, tally.Sum(t => t.GetProperty("votes").GetInt32()) + vote.GetProperty("abstained").GetInt32());
        Assert.Equal(vote.GetProperty("answer").GetString(), tally[0].GetProperty("answer").GetString());
        Assert.Equal(survivors, tally[0].GetProperty("candidates").EnumerateArray().Select(c => c.GetString()).ToHashSet());
        Assert.Equal((double)tally[0].GetProperty("votes").GetInt32() / tally.Sum(t => t.GetProperty("votes").GetInt32()), vote.GetProperty("share").GetDouble(), 6);
    }

    [Fact]
    public async Task Output_vote_reports_its_tally_as_the_output_node()
    {
        var result = await Cli.Process(["run", "pipelines/arith-vote.yaml", "--input", "What is 47+385?", "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var votes = doc.RootElement.GetProperty("votes").EnumerateArray().ToList();
        Assert.NotEmpty(votes);
        Assert.All(votes, v => Assert.True(v.GetProperty("tally").GetArrayLength() > 0));
    }

    [Fact]
    public async Task Each_diagnostic_is_printed_once()
    {
        var result = await Cli.Process(["run", "pipelines/mixture-of-agents.yaml", "--input", "hi"], env: new Dictionary<string, string> { ["OPENAI_API_KEY"] = "" });
        Assert.Equal(2, result.ExitCode);
        var lines = DiagnosticLine().Matches(result.Error).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(lines, l => l.Contains("CMP355", StringComparison.Ordinal));
        Assert.Equal(lines.Count, lines.Distinct().Count());
        var locations = lines.Select(l => l.Split(": ")[0] + l.Split(' ').First(w => w.StartsWith("CMP", StringComparison.Ordinal))).ToList();
        Assert.Equal(locations.Count, locations.Distinct().Count()); // not once as a warning and again as an error
    }

    [GeneratedRegex(@"(?m)^(\S+:\d+:\d+: (?:error|warning) CMP\d+: .*)$")]
    private static partial Regex DiagnosticLine();
}

/// <summary><c>compose eval</c>'s summary names each kind of warning the items reported by its own code.</summary>
public sealed class EvalWarningSummaryTests
{
    private static Compose.Evaluation.Running.ItemResult Item(string id, string[] warnings, string?[]? codes) => new()
    {
        Id = id,
        Warnings = [.. warnings],
        WarningCodes = codes is null ? null : [.. codes],
    };

    [Fact]
    public void Each_code_gets_its_own_line_and_techniques_warnings_are_not_labelled_with_a_code()
    {
        var report = new Compose.Evaluation.Running.EvalReport("p", [
            Item("1", ["the vote extract regex timed out"], ["CMP706"]),
            Item("2", ["keyword_filter dropped every candidate", "the budget stopped the particle filter"], [null, "CMP708"]),
            Item("3", ["keyword_filter dropped every candidate"], [null]),
            Item("4", ["written before codes were kept"], null),
            new() { Id = "5" },
        ], 0);

        var lines = Compose.Cli.Commands.EvalCommand.WarningSummary("p.yaml", report).ToList();

        Assert.Equal(
        [
            "p.yaml: warning CMP706: 1 of 5 items reported it (warnings in the results file); item 1: the vote extract regex timed out",
            "p.yaml: warning CMP708: 1 of 5 items reported it (warnings in the results file); item 2: the budget stopped the particle filter",
            "p.yaml: 3 of 5 items reported a warning of a technique (warnings in the results file); item 2: keyword_filter dropped every candidate",
        ], lines);
    }
}
