using System.Text;
using System.Text.RegularExpressions;

namespace Compose.Cli.Tests;

/// <summary>
/// Thousands of random mutations of valid pipeline files through the real CLI entry point (in-process
/// for speed): each ends with exit code 0 or 2 and none prints a stack trace or an internal error.
/// </summary>
public sealed class MutationFuzzTests
{
    private static readonly string[] Fragments =
    [
        "samples: 0", "keep: -1", "model: nope", "- fuse: {}", "- vote: {}", "until: maybe", "compose: 2", "{", "}", "[", "]", ":", "- ",
        "\t", "&a", "*a", "!!str", "'", "\"", "rank:", "layers:", "models:", "provider: scripted", "provider: openai", "budget: { max_calls: 1 }",
        "check: { regex: '(' }", "prompt: '{{ for x in }}'", "prompts: { nope: x }", "output: vote", "99999999999999999999", "1e400", "null", "~",
        "method: sideways", "on_none: explode", "use_critiques: true", "extract: '('", "temperature: 3", "max_tokens: 0", "- critique: {}",
    ];

    [Fact]
    public async Task Two_thousand_mutations_end_with_0_or_2_and_no_stack_trace()
    {
        var files = Repo.PipelineFiles().ToArray();
        var seeds = files.Select(File.ReadAllText).ToArray();
        var techniques = files.Select(Repo.TechniquesFor).ToArray();
        var random = new Random(20261123);
        var dir = Directory.CreateTempSubdirectory("compose-fuzz-");
        var failures = new List<string>();
        var valid = 0;
        try
        {
            for (var i = 0; i < 2_000; i++)
            {
                var seed = random.Next(seeds.Length);
                var text = Mutate(seeds[seed], random, 1 + random.Next(3));
                var file = Path.Combine(dir.FullName, $"m{i}.yaml");
                await File.WriteAllTextAsync(file, text);
                var result = await Cli.InProcess(["validate", file, "--models", Repo.ScriptedModels, .. techniques[seed]]);
                if (result.ExitCode is not (0 or 2) || result.ShowsStackTrace)
                {
                    failures.Add($"#{i} exit {result.ExitCode}\n{text}\n---\n{result.All}");
                }

                if (result.ExitCode == 0 && valid++ % 4 == 0)
                {
                    var run = await Cli.InProcess(["run", file, "--models", Repo.ScriptedModels, "--input", "What is 6*7?", .. techniques[seed]]);
                    if (run.ExitCode is not (0 or 1 or 2) || run.ShowsStackTrace)
                    {
                        failures.Add($"#{i} run exit {run.ExitCode}\n{text}\n---\n{run.All}");
                    }
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} mutations misbehaved; first:\n{failures.FirstOrDefault()}");
        Assert.True(valid > 50, $"only {valid} mutations stayed valid: the mutator is too destructive to exercise runs");
    }

    internal static string Mutate(string text, Random random, int edits)
    {
        var lines = text.Split('\n').ToList();
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(lines.Count);
            switch (random.Next(8))
            {
                case 0:
                    lines.RemoveAt(at);
                    break;
                case 1:
                    lines.Insert(at, lines[random.Next(lines.Count)]);
                    break;
                case 2:
                    var other = random.Next(lines.Count);
                    (lines[at], lines[other]) = (lines[other], lines[at]);
                    break;
                case 3:
                    lines[at] = ReplaceChar(lines[at], random);
                    break;
                case 4:
                    lines[at] = new Regex(@"\d+").Replace(lines[at], _ => random.Next(-5, 50).ToString(System.Globalization.CultureInfo.InvariantCulture), 1);
                    break;
                case 5:
                    lines[at] = (random.Next(2) == 0 ? "  " : "") + lines[at].TrimStart(' ');
                    break;
                case 6:
                    lines.Insert(at, new string(' ', random.Next(0, 3) * 2) + Fragments[random.Next(Fragments.Length)]);
                    break;
                default:
                    var l = lines[at];
                    lines[at] = l.Length == 0 ? l : l.Insert(random.Next(l.Length), Fragments[random.Next(Fragments.Length)]);
                    break;
            }

            if (lines.Count == 0)
            {
                lines.Add("");
            }
        }

        return string.Join('\n', lines);
    }

    private static string ReplaceChar(string line, Random random)
    {
        if (line.Length == 0)
        {
            return line;
        }

        var chars = new StringBuilder(line);
        chars[random.Next(chars.Length)] = "abcxyz0159:{}[]-_ '\"#&*!|>"[random.Next(26)];
        return chars.ToString();
    }
}
