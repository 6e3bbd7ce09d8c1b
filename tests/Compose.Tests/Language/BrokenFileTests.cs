using System.Text.RegularExpressions;
using Compose.Compilation;

namespace Compose.Tests.Language;

/// <summary>
/// Each file under Broken/ states the diagnostics it must produce (<c># expect: CODE LINE:COLUMN</c>);
/// reading and compiling it must give exactly those (no more, no fewer).
/// </summary>
public sealed partial class BrokenFileTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TestFiles.Output("Broken"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void There_are_at_least_35_broken_files() => Assert.True(Files().Count >= 35);

    [Theory]
    [MemberData(nameof(Files))]
    public void Reports_exactly_the_expected_diagnostics(string name)
    {
        var path = Path.Combine(TestFiles.Output("Broken"), name);
        var expected = File.ReadLines(path)
            .Select(line => Expect().Match(line))
            .Where(m => m.Success)
            .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(expected);

        var result = PipelineCompiler.CompileFile(path, FakeProvider.Catalog);
        var actual = result.Diagnostics
            .Select(d => $"{d.Code} {d.Location.Line}:{d.Location.Column}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(
            expected.SequenceEqual(actual),
            $"expected:\n  {string.Join("\n  ", expected)}\nactual:\n  {string.Join("\n  ", result.Diagnostics)}");
        Assert.All(result.Diagnostics, d => Assert.Equal(path, d.Location.File));
        Assert.False(result.Success && result.Diagnostics.Any(d => d.IsError));
    }

    [GeneratedRegex(@"^#\s*expect:\s*([A-Z]+\d+)\s+(\d+:\d+)\s*$")]
    private static partial Regex Expect();
}
