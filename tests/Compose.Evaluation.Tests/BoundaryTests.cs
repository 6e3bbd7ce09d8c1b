using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Compose.Evaluation.Benchmarks;
using Compose.Evaluation.Running;
using Compose.Evaluation.Scoring;
using Compose.Language;

namespace Compose.Evaluation.Tests;

/// <summary>The scorer, results-file and output-folder boundaries of compose eval: hostile programs, patterns and files.</summary>
public sealed class BoundaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("compose-eval-boundary-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static BenchmarkItem Item(string reference, string id = "1") => new(id, "q", [], [reference], null);

    private ProgramScorer Script(string body, double timeoutSeconds = 20)
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "program scorer scripts are POSIX shell");
        var path = Path.Combine(_dir, $"s{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new ProgramScorer(ProgramScorer.Resolve(path), [], TimeSpan.FromSeconds(timeoutSeconds));
    }

    [SkippableFact]
    public async Task Program_gets_the_reference_and_candidate_in_files_byte_for_byte_and_none_in_its_environment()
    {
        var reference = "big" + new string('r', 300_000) + "\0after-nul";
        var scorer = Script("""
            [ -z "$COMPOSE_REFERENCE" ] || exit 3
            env | grep -q rrrrrrrr && exit 4
            cat > "$COMPOSE_ITEM_FILE.stdin"
            cmp -s "$COMPOSE_ITEM_FILE.stdin" "$COMPOSE_CANDIDATE_FILE" || exit 5
            grep -q '"id":"x7"' "$COMPOSE_ITEM_FILE" || exit 6
            [ "$COMPOSE_ITEM_ID" = x7 ] || exit 7
            wc -c < "$COMPOSE_REFERENCE_FILE"
            """);
        var score = await scorer.ScoreAsync(Item(reference, "x7"), "Ünïcödé ✓ 答え 😀");
        Assert.Null(score.Failure);
        Assert.True(score.Correct);
        Assert.Equal(Encoding.UTF8.GetByteCount(reference).ToString(System.Globalization.CultureInfo.InvariantCulture), score.Extracted);
    }

    [SkippableFact]
    public async Task Program_exit_one_is_wrong_other_codes_and_crashes_are_failures()
    {
        var wrong = await Script("exit 1").ScoreAsync(Item("a"), "b");
        Assert.False(wrong.Correct);
        Assert.Null(wrong.Failure);
        var odd = await Script("echo oops >&2; exit 3").ScoreAsync(Item("a"), "b");
        Assert.False(odd.Correct);
        Assert.Contains("exited with code 3", odd.Failure, StringComparison.Ordinal);
        Assert.Contains("oops", odd.Failure, StringComparison.Ordinal);
        var crash = await Script("kill -SEGV $$").ScoreAsync(Item("a"), "b");
        Assert.False(crash.Correct);
        Assert.NotNull(crash.Failure);
    }

    [SkippableFact]
    public async Task Program_past_its_time_is_killed_with_its_children()
    {
        var pidFile = Path.Combine(_dir, "child.pid");
        var scorer = Script($"sleep 120 &\necho $! > '{pidFile}'\nwait", timeoutSeconds: 1);
        var clock = Stopwatch.StartNew();
        var score = await scorer.ScoreAsync(Item("a"), "b");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Contains("ran past its 1 s limit", score.Failure, StringComparison.Ordinal);
        Assert.False(IsRunning(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture)), "the scorer's child survived the timeout");
    }

    [SkippableFact]
    public async Task Program_flooding_its_output_is_killed_and_only_a_bounded_part_is_kept()
    {
        var clock = Stopwatch.StartNew();
        var score = await Script("head -c 300000000 /dev/zero | tr '\\0' x").ScoreAsync(Item("a"), "b");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Contains("more than 1 MiB", score.Failure, StringComparison.Ordinal);
        Assert.True((score.Extracted?.Length ?? 0) <= ProgramScorer.OutputLimit);
    }

    [SkippableFact]
    public void Missing_and_non_executable_programs_are_refused_up_front()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip.If(true, "POSIX permissions");
            return;
        }

        Assert.Equal(EvaluationDiagnosticCodes.ScorerProgramNotFound, Code(() => ProgramScorer.Resolve(Path.Combine(_dir, "absent"))));
        Assert.Equal(EvaluationDiagnosticCodes.ScorerProgramNotFound, Code(() => ProgramScorer.Resolve("compose-no-such-program-on-path")));
        var plain = Path.Combine(_dir, "plain.sh");
        File.WriteAllText(plain, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(EvaluationDiagnosticCodes.ScorerProgramNotExecutable, Code(() => ProgramScorer.Resolve(plain)));
        Assert.Equal(EvaluationDiagnosticCodes.ScorerProgramNotExecutable, Code(() => ProgramScorer.Resolve(_dir + "/")));
        Assert.Equal(EvaluationDiagnosticCodes.ScorerProgramNotFound, Code(() => ScorerFactory.Create($"program:{Path.Combine(_dir, "absent")} --x", _ => throw new InvalidOperationException())));
    }

    [Fact]
    public async Task A_regex_that_backtracks_forever_times_out_as_that_answer_s_failure()
    {
        var scorer = new RegexScorer(new Regex("^(a|aa)*$", RegexOptions.None, TimeSpan.FromMilliseconds(200)));
        var clock = Stopwatch.StartNew();
        var score = await scorer.ScoreAsync(Item("a"), new string('a', 60) + "!");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.False(score.Correct);
        Assert.Contains("regular expression took longer", score.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Torn_and_unreadable_tails_of_the_results_file_are_cut_off_and_never_read_as_results()
    {
        var path = Path.Combine(_dir, "r.jsonl");
        using (var writer = ResultsFile.OpenForAppend(path, "fp", "p"))
        {
            await writer.AppendAsync(new ItemResult { Id = "1", Correct = true });
            await writer.AppendAsync(new ItemResult { Id = "2" });
        }

        var whole = File.ReadAllBytes(path);
        File.AppendAllText(path, "{\"id\":\"3\",\"corr");
        Assert.Equal(["1", "2"], ResultsFile.ReadForResume(path, "fp").Select(r => r.Id));
        Assert.Equal(whole, File.ReadAllBytes(path));

        File.AppendAllText(path, "not json\n{\"id\":\"4\"}\n");
        Assert.Equal(["1", "2"], ResultsFile.ReadForResume(path, "fp").Select(r => r.Id));
        Assert.Equal(whole, File.ReadAllBytes(path));

        File.WriteAllText(path, "garbage header\n");
        Assert.Equal(EvaluationDiagnosticCodes.ResultsUnreadable, Code(() => ResultsFile.ReadForResume(path, "fp")));
        Directory.CreateDirectory(Path.Combine(_dir, "dir.jsonl"));
        Assert.Equal(EvaluationDiagnosticCodes.OutputUnusable, Code(() => ResultsFile.ReadForResume(Path.Combine(_dir, "dir.jsonl"), "fp")));
    }

    [Fact]
    public void One_output_folder_has_one_writer_and_the_lock_goes_with_it()
    {
        var folder = Path.Combine(_dir, "out");
        using (OutputFolderLock.Acquire(folder))
        {
            Assert.Equal(EvaluationDiagnosticCodes.OutputLocked, Code(() => OutputFolderLock.Acquire(folder)));
        }

        using (OutputFolderLock.Acquire(folder))
        {
        }

        var file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "x");
        Assert.Equal(EvaluationDiagnosticCodes.OutputUnusable, Code(() => OutputFolderLock.Acquire(file)));
        Assert.Equal(EvaluationDiagnosticCodes.OutputUnusable, Code(() => OutputFolderLock.Acquire(Path.Combine(file, "below"))));
    }

    private static string Code(Action action) => Assert.Throws<DiagnosticException>(action).Diagnostics[0].Code;

    private static bool IsRunning(int pid)
    {
        // A killed child reparented to a container's init can linger as a zombie: that is not running.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].Split(' ')[0] is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }
}
