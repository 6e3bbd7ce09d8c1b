using System.Text;

namespace Compose.Cli.Tests;

/// <summary>
/// Every pipeline and search space shipped in pipelines/ and examples/ runs as its header says: each
/// <c># Run: compose ...</c> line is run with the real CLI from the repository root. Offline lines must succeed;
/// a file whose header says <c># Needs:</c> (an endpoint, a key) must, on a line that binds no stand-in models,
/// stop at that need with a message naming it — never crash.
/// </summary>
public sealed class ShippedFilesRunTests
{
    public static TheoryData<string> Files() =>
    [
        .. Repo.PipelineFiles().Concat(Directory.EnumerateFiles(Repo.Path("examples"), "*.space.yaml", SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(Repo.Root, f).Replace('\\', '/')),
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Runs_as_its_header_says(string file)
    {
        var header = File.ReadLines(Repo.Path(file)).TakeWhile(l => l.StartsWith('#')).ToList();
        var runs = header.Where(l => l.StartsWith("# Run: compose ", StringComparison.Ordinal)).Select(l => l["# Run: compose ".Length..]).ToList();
        Assert.True(runs.Count > 0, $"{file}: the header gives no '# Run: compose ...' line");
        var needs = string.Join(" ", header.Where(l => l.StartsWith("# Needs:", StringComparison.Ordinal)));

        foreach (var line in runs)
        {
            var args = Repo.InBuiltConfiguration(Split(line));
            Assert.Contains(file, args);
            if (args[0] is "eval" or "search")
            {
                args = [.. args, "--out", Path.Combine(Path.GetTempPath(), "compose-shipped-" + Guid.NewGuid().ToString("N"))];
            }

            var offline = needs.Length == 0 || args.Contains("--models");
            var result = await Cli.Process(args, env: new Dictionary<string, string> { ["OPENAI_API_KEY"] = "", ["LOCAL_API_KEY"] = "" });
            Assert.False(result.ShowsStackTrace, $"{file}: compose {line}\n{result.All}");
            if (offline)
            {
                Assert.True(result.ExitCode == 0, $"{file}: compose {line} exited {result.ExitCode}\n{result.All}");
                Assert.False(string.IsNullOrWhiteSpace(result.Out), $"{file}: compose {line} printed no answer");
            }
            else
            {
                Assert.True(result.ExitCode != 0, $"{file}: compose {line} succeeded though the header says it needs: {needs}");
                var named = new[] { "OPENAI_API_KEY", "LOCAL_API_KEY", "127.0.0.1:8080", "127.0.0.1:8081" }.Where(needs.Contains);
                Assert.True(named.Any(n => result.All.Contains(n, StringComparison.Ordinal)), $"{file}: compose {line} failed without naming what it needs ({needs})\n{result.All}");
            }
        }
    }

    [Fact]
    public void Readme_says_which_pipelines_run_on_the_default_model()
    {
        var readme = File.ReadAllText(Repo.Path("README.md"));
        foreach (var file in Repo.PipelineFiles().Where(f => f.Contains($"{Path.DirectorySeparatorChar}pipelines{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            && !f.Contains("SemanticKernelApp", StringComparison.Ordinal)))
        {
            var header = string.Join("\n", File.ReadLines(file).TakeWhile(l => l.StartsWith('#')));
            var onDefault = header.Split('\n').Any(l => l.StartsWith("# Run: compose run", StringComparison.Ordinal) && !l.Contains("--models", StringComparison.Ordinal) && !header.Contains("# Needs:", StringComparison.Ordinal));
            if (onDefault)
            {
                Assert.Contains(Path.GetFileName(file), readme, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>Splits a command line as a POSIX shell would for the simple forms headers use: words and "double-quoted" strings.</summary>
    private static string[] Split(string line)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var ch in line)
        {
            if (ch == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (ch == ' ' && !quoted)
            {
                if (any || current.Length > 0)
                {
                    args.Add(current.ToString());
                }

                current.Clear();
                any = false;
            }
            else
            {
                current.Append(ch);
            }
        }

        if (any || current.Length > 0)
        {
            args.Add(current.ToString());
        }

        return [.. args];
    }
}
