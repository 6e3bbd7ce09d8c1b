using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Compose.Cli.Tests;

/// <summary>
/// What a new user meets first: the version, the help text, typos on the command line, the tool package's size
/// (only desktop and server native runtimes: packing itself is checked in .ci/run, too slow for the suite) and git
/// ignoring the CLI's default output folder.
/// </summary>
public sealed class FirstHourTests
{
    /// <summary>The kept native runtimes: Compose.Cli.csproj's ComposeNativeRuntimeIdentifiers.</summary>
    // "win": the generic Windows runtime of managed assemblies (System.Diagnostics.EventLog, which Orleans' hosting brings), used on every Windows.
    private static readonly string[] KeptRuntimes = ["linux-x64", "linux-arm64", "linux-musl-x64", "linux-musl-arm64", "win-x64", "win-arm64", "osx-x64", "osx-arm64", "win"];

    [Fact]
    public async Task Version_prints_the_assembly_version()
    {
        var result = await Cli.Process(["--version"]);
        Assert.True(result.ExitCode == 0, result.All);
        var expected = typeof(ComposeApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(expected, result.Out.Trim());
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Out);
        Assert.Equal("", result.Error);
    }

    /// <summary>Every command's help, as printed: an option with a default shows it once, as System.CommandLine's [default: ...].</summary>
    [Fact]
    public async Task Help_states_each_default_once()
    {
        var paths = Commands(ComposeApp.BuildRoot(new CliConsole(TextWriter.Null, TextWriter.Null, new StringReader(""), false, true)), []).ToList();
        Assert.Contains(["eval"], paths);
        Assert.Contains(["models", "inspect"], paths);
        var defaults = 0;
        foreach (var path in paths)
        {
            var result = await Cli.InProcess([.. path, "--help"]);
            Assert.True(result.ExitCode == 0, result.All);
            foreach (var line in result.Out.Split('\n').Where(l => l.Contains("[default: ", StringComparison.Ordinal)))
            {
                defaults++;
                var description = line[..line.IndexOf("[default: ", StringComparison.Ordinal)];
                Assert.DoesNotMatch(@"\(default\b|\bdefault\)|\(default [^)]*\)", description);
                Assert.DoesNotContain("default ", description, StringComparison.OrdinalIgnoreCase);
            }
        }

        Assert.True(defaults >= 10, $"{defaults} options with a default found in the help");
    }

    [Fact]
    public void No_option_with_a_default_repeats_it_in_its_description()
    {
        var root = ComposeApp.BuildRoot(new CliConsole(TextWriter.Null, TextWriter.Null, new StringReader(""), false, true));
        var offenders = All(root).SelectMany(c => c.Options.Select(o => (Command: c.Name, Option: o)))
            .Where(x => x.Option.HasDefaultValue && (x.Option.Description ?? "").Contains("default", StringComparison.OrdinalIgnoreCase))
            .Select(x => $"{x.Command} {x.Option.Name}: {x.Option.Description}")
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public async Task Models_command_says_what_it_is_for()
    {
        var result = await Cli.InProcess("--help");
        var line = result.Out.Split('\n').Single(l => l.TrimStart().StartsWith("models ", StringComparison.Ordinal));
        Assert.DoesNotContain("Local models.", line, StringComparison.Ordinal);
        Assert.Contains("ONNX", line, StringComparison.Ordinal);
        Assert.Contains("inspect", (await Cli.InProcess("models", "--help")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_help_mentions_standard_input_and_the_default_model()
    {
        var result = await Cli.InProcess("run", "--help");
        Assert.True(result.ExitCode == 0, result.All);
        var text = string.Join(' ', result.Out.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("standard input", text, StringComparison.Ordinal);
        Assert.Contains("default model", text, StringComparison.Ordinal);
        Assert.Contains(ShippedModel.Folder, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_option_gets_did_you_mean_and_exit_code_2()
    {
        var result = await Cli.Process(["run", "pipelines/arith-vote.yaml", "--inptu", "What is 47+385?"]);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("'--inptu'", result.Error, StringComparison.Ordinal);
        Assert.Contains("  hint: did you mean '--input'?", result.Error, StringComparison.Ordinal);
        Assert.Contains("Try 'compose run --help'.", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Theory]
    [InlineData(new[] { "eval", "p.yaml", "--benchmark", "b.jsonl", "--fersh" }, "--fresh")]
    [InlineData(new[] { "graph", "p.yaml", "--fromat", "dot" }, "--format")]
    [InlineData(new[] { "run", "p.yaml", "--allow-pth", "x" }, "--allow-path")] // a global option, from the root command
    [InlineData(new[] { "run", "--inptu", "What is 2+3?", "p.yaml" }, "--input")] // before the file argument
    [InlineData(new[] { "validate", "p.yaml", "--jsno" }, "--json")] // validate FILE... takes any number of files
    [InlineData(new[] { "serve", "p.yaml", "--max-concurency", "2" }, "--max-concurrency")]
    [InlineData(new[] { "rnu", "p.yaml" }, "run")] // a subcommand
    [InlineData(new[] { "models", "inspct", "x" }, "inspect")]
    public async Task Mistyped_options_and_commands_get_the_closest_of_the_command_being_parsed(string[] args, string suggestion)
    {
        var result = await Cli.InProcess(args);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains($"  hint: did you mean '{suggestion}'?", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run", "p.yaml", "--zzzzzzzz")] // nothing close
    [InlineData("graph", "p.yaml", "--input")] // an option of another command
    [InlineData("run", "p.yaml", "surplus")] // an extra argument, not an option; run has no subcommands
    public async Task No_hint_when_nothing_is_close(params string[] args)
    {
        var result = await Cli.InProcess(args);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("Unrecognized command or argument", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("did you mean", result.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// The csproj drops every native runtime but desktop and server ones from the build (and so from publish and
    /// the tool package): the CLI's own build output and its deps.json carry no android, ios or maccatalyst assets,
    /// and do carry the ONNX Runtime of each desktop platform it ships.
    /// </summary>
    [Fact]
    public void The_cli_build_carries_only_desktop_and_server_native_runtimes()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<configuration>/net10.0
        var output = Repo.Path("src", "Compose.Cli", "bin", configuration, "net10.0");
        // The folder may hold runtimes an older build left there (a build does not delete files); deps.json says what
        // this build uses, and the package check in .ci/tool-check looks at what ships.
        foreach (var (rid, file) in new[] { ("linux-x64", "libonnxruntime.so"), ("linux-arm64", "libonnxruntime.so"), ("win-x64", "onnxruntime.dll"), ("win-arm64", "onnxruntime.dll"), ("osx-arm64", "libonnxruntime.dylib") })
        {
            Assert.True(File.Exists(Path.Combine(output, "runtimes", rid, "native", file)), $"{rid}/native/{file} missing from {output}");
        }

        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "Compose.Cli.deps.json")));
        var rids = deps.RootElement.GetProperty("targets").EnumerateObject().SelectMany(t => t.Value.EnumerateObject())
            .Where(l => l.Value.TryGetProperty("runtimeTargets", out _))
            .SelectMany(l => l.Value.GetProperty("runtimeTargets").EnumerateObject().Select(a => a.Value.GetProperty("rid").GetString()!))
            .Distinct().ToList();
        Assert.Contains("linux-x64", rids);
        Assert.All(rids, rid => Assert.Contains(rid, KeptRuntimes));
    }

    [Fact]
    public async Task Git_ignores_the_default_output_folder()
    {
        Assert.Contains(".compose/", File.ReadAllLines(Repo.Path(".gitignore")).Select(l => l.Trim()));
        var psi = new ProcessStartInfo("git") { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "check-ignore", "--no-index", "-q", ".compose/eval/arith-vote.jsonl" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var git = Process.Start(psi)!;
        await git.WaitForExitAsync();
        Assert.True(git.ExitCode == 0, await git.StandardError.ReadToEndAsync());
    }

    private static IEnumerable<Command> All(Command command) => command.Subcommands.SelectMany(All).Prepend(command);

    private static IEnumerable<string[]> Commands(Command command, string[] path)
    {
        yield return path;
        foreach (var sub in command.Subcommands)
        {
            foreach (var p in Commands(sub, [.. path, sub.Name]))
            {
                yield return p;
            }
        }
    }
}
