using System.Diagnostics;
using Compose.IO;
using Compose.Language;

namespace Compose.Tests.IO;

/// <summary>The file boundary: what kind a path is, confinement after symlinks, and bounded reads.</summary>
public sealed class SafeFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("compose-safefile-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [SkippableFact]
    public void Probe_tells_regular_files_folders_devices_and_pipes_apart_without_opening_them()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX file kinds");
        var fifo = Path.Combine(_root, "pipe");
        MakeFifo(fifo);

        Assert.Equal((FileKind.Regular, 5L), FileProbe.Probe(Write("a.txt", "hello")));
        Assert.Equal(FileKind.Directory, FileProbe.Probe(_root).Kind);
        Assert.Equal(FileKind.Fifo, FileProbe.Probe(fifo).Kind);
        Assert.Equal(FileKind.CharacterDevice, FileProbe.Probe("/dev/zero").Kind);
        Assert.Equal(FileKind.Missing, FileProbe.Probe(Path.Combine(_root, "nope")).Kind);
    }

    [Theory]
    [InlineData("/dev/zero", DiagnosticCodes.NotARegularFile)]
    [InlineData("/dev/null", DiagnosticCodes.NotARegularFile)]
    [InlineData("/dev/stdin", DiagnosticCodes.NotARegularFile)]
    [InlineData("/", DiagnosticCodes.NotARegularFile)]
    [InlineData("/no/such/file.yaml", DiagnosticCodes.FileUnreadable)]
    public void Special_and_missing_paths_are_refused_at_once(string path, string code)
    {
        var clock = Stopwatch.StartNew();
        var (text, error) = SafeFile.ReadText(path, FileAccessPolicy.Default, "pipeline file");
        Assert.Null(text);
        Assert.Equal(code, error!.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [SkippableFact]
    public void A_fifo_is_refused_without_blocking()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX FIFOs");
        var fifo = Path.Combine(_root, "p.yaml");
        MakeFifo(fifo);
        var read = Task.Run(() => SafeFile.ReadText(fifo, FileAccessPolicy.Default, "pipeline file"));
        Assert.True(read.Wait(TimeSpan.FromSeconds(10)), "reading a FIFO blocked");
        Assert.Equal(DiagnosticCodes.NotARegularFile, read.Result.Error!.Code);
        Assert.Contains("named pipe", read.Result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_over_the_cap_is_refused_by_its_size_and_the_hint_names_the_flag()
    {
        var path = Path.Combine(_root, "big.yaml");
        using (var f = File.Create(path))
        {
            f.SetLength(FileAccessPolicy.DefaultMaxFileBytes + 1); // sparse: nothing is written
        }

        var (_, error) = SafeFile.ReadText(path, FileAccessPolicy.Default, "pipeline file");
        Assert.Equal(DiagnosticCodes.FileTooLarge, error!.Code);
        Assert.Contains("--max-file-bytes", error.Hint, StringComparison.Ordinal);
        var (text, raised) = SafeFile.ReadText(path, FileAccessPolicy.Default with { MaxFileBytes = FileAccessPolicy.DefaultMaxFileBytes * 2 }, "pipeline file");
        Assert.Null(raised);
        Assert.Equal(FileAccessPolicy.DefaultMaxFileBytes + 1, text!.Length);
    }

    [Fact]
    public void Text_is_read_as_utf8_with_a_byte_order_mark_honoured()
    {
        var path = Path.Combine(_root, "bom.yaml");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "name: é"u8.ToArray()]);
        Assert.Equal("name: é", SafeFile.ReadText(path, FileAccessPolicy.Default, "f").Text);
    }

    [Fact]
    public void Lines_longer_than_the_line_cap_stop_the_stream_with_the_line_number()
    {
        var path = Write("bench.jsonl", "{\"id\":1}\n" + new string('x', 5000) + "\n");
        var (lines, error) = SafeFile.OpenLines(path, FileAccessPolicy.Default with { MaxLineBytes = 1000 }, "benchmark");
        Assert.Null(error);
        using var e = lines!.GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.Equal("{\"id\":1}", e.Current);
        var ex = Assert.Throws<FileBoundException>(() => e.MoveNext());
        Assert.Equal(DiagnosticCodes.FileTooLarge, ex.Error.Code);
        Assert.Contains("line 2", ex.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_keep_their_text_across_buffer_boundaries_and_drop_carriage_returns()
    {
        var expected = Enumerable.Range(0, 3000).Select(i => new string((char)('a' + (i % 26)), i % 97)).ToList();
        var path = Write("many.jsonl", string.Join("\r\n", expected));
        var (lines, _) = SafeFile.OpenLines(path, FileAccessPolicy.Default, "benchmark");
        Assert.Equal(expected, lines!.ToList());
    }

    [Fact]
    public void A_path_inside_the_folder_is_confined_to_its_real_path()
    {
        var file = Write("prompts/p.sbn", "x");
        var (path, error) = SafePath.Confine(_root, "prompts/../prompts/p.sbn", FileAccessPolicy.Default, "prompt");
        Assert.Null(error);
        Assert.Equal(SafePath.RealPath(file), path);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/proc/self/environ")]
    [InlineData("../outside.sbn")]
    [InlineData("../../../../../../../../etc/passwd")]
    [InlineData("sub/../../outside.sbn")]
    public void Paths_outside_the_folder_are_refused(string name)
    {
        var folder = Path.Combine(_root, "pipelines");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        Write("outside.sbn", "secret");
        var (path, error) = SafePath.Confine(folder, name, FileAccessPolicy.Default, "prompt template file");
        Assert.Null(path);
        Assert.Equal(DiagnosticCodes.PathOutsideAllowed, error!.Code);
        Assert.Contains("--allow-path", error.Hint, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Symlinks_are_followed_before_the_check_files_and_folders_alike()
    {
        Skip.If(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
        var folder = Path.Combine(_root, "pipelines");
        Directory.CreateDirectory(folder);
        var secret = Write("secret/key.txt", "sk-123");
        File.CreateSymbolicLink(Path.Combine(folder, "file-link.sbn"), secret);
        Directory.CreateSymbolicLink(Path.Combine(folder, "dir-link"), Path.GetDirectoryName(secret)!);
        File.CreateSymbolicLink(Path.Combine(folder, "hop1"), Path.Combine(folder, "file-link.sbn"));
        File.CreateSymbolicLink(Path.Combine(folder, "relative-link"), "../secret/key.txt");
        Write("pipelines/inner.sbn", "fine");
        File.CreateSymbolicLink(Path.Combine(folder, "inner-link.sbn"), "inner.sbn");

        foreach (var name in new[] { "file-link.sbn", "dir-link/key.txt", "hop1", "relative-link" })
        {
            var (_, error) = SafePath.Confine(folder, name, FileAccessPolicy.Default, "prompt");
            Assert.True(error?.Code == DiagnosticCodes.PathOutsideAllowed, name);
            Assert.Contains("symbolic link", error!.Message, StringComparison.Ordinal);
        }

        Assert.Null(SafePath.Confine(folder, "inner-link.sbn", FileAccessPolicy.Default, "prompt").Error);
    }

    [SkippableFact]
    public void A_symlink_loop_is_refused_not_followed_forever()
    {
        Skip.If(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
        File.CreateSymbolicLink(Path.Combine(_root, "a"), Path.Combine(_root, "b"));
        File.CreateSymbolicLink(Path.Combine(_root, "b"), Path.Combine(_root, "a"));
        Assert.Null(SafePath.RealPath(Path.Combine(_root, "a")));
        Assert.Equal(DiagnosticCodes.PathOutsideAllowed, SafePath.Confine(_root, "a", FileAccessPolicy.Default, "prompt").Error!.Code);
    }

    [Fact]
    public void An_allowed_root_widens_confinement_and_nothing_else()
    {
        var folder = Path.Combine(_root, "pipelines");
        Directory.CreateDirectory(folder);
        var shared = Write("shared/t.sbn", "x");
        Write("other/t.sbn", "x");
        var policy = FileAccessPolicy.Default.Allow([Path.Combine(_root, "shared")]);
        Assert.Null(SafePath.Confine(folder, shared, policy, "prompt").Error);
        Assert.Null(SafePath.Confine(folder, "../shared/t.sbn", policy, "prompt").Error);
        Assert.NotNull(SafePath.Confine(folder, "../other/t.sbn", policy, "prompt").Error);
        Assert.NotNull(SafePath.Confine(folder, "../shared-evil/t.sbn", policy, "prompt").Error);
    }

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/a/b", "/", true)]
    [InlineData("/b", "/a/", false)]
    public void Inside_means_the_folder_or_below_never_a_sibling_with_the_same_prefix(string path, string root, bool inside) =>
        Assert.Equal(inside, SafePath.IsInside(path, root));
}
