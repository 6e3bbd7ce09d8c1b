using System.Text.RegularExpressions;
using Compose.Language;

namespace Compose.Tests.Language;

/// <summary>Every diagnostic code defined or used in the language and compiler is documented.</summary>
public sealed partial class DiagnosticsDocTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "docs", "diagnostics.md"));

    private static IEnumerable<string> SourceFiles() =>
        new[] { "Language", "Compilation" }.SelectMany(folder =>
            Directory.GetFiles(Path.Combine(TestFiles.RepositoryRoot, "src", "Compose", folder), "*.cs", SearchOption.AllDirectories));

    /// <summary>Every source file of every src project: providers, the runtime, evaluation and search define codes of their own.</summary>
    private static IEnumerable<string> AllSourceFiles() =>
        Directory.GetFiles(Path.Combine(TestFiles.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static HashSet<string> AllConstants() =>
        [.. AllSourceFiles().SelectMany(f => CodeConstant().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))];

    [Fact]
    public void Every_code_constant_is_documented_with_a_heading()
    {
        var constants = AllSourceFiles().SelectMany(f => CodeConstant().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToList();

        Assert.True(constants.Count >= 40, $"found only {constants.Count} code constants");
        Assert.Equal(constants.Count, constants.Distinct().Count());
        Assert.All(constants, code => Assert.Matches($@"(?m)^### {code}: ", Doc));
    }

    [Fact]
    public void Every_code_literal_in_the_sources_is_a_constant_of_DiagnosticCodes()
    {
        var defined = typeof(DiagnosticCodes).GetFields().Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        var literals = SourceFiles().SelectMany(f => CodeLiteral().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToHashSet();

        Assert.Subset(defined, literals);
        Assert.All(literals, code => Assert.Contains($"### {code}: ", Doc, StringComparison.Ordinal));
    }

    [Fact]
    public void The_doc_documents_no_code_that_does_not_exist()
    {
        var defined = AllConstants();
        var documented = DocHeading().Matches(Doc).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(defined.Order(), documented.Order());
    }

    [Fact]
    public void Codes_are_in_the_group_of_their_phase()
    {
        Assert.All(typeof(DiagnosticCodes).GetFields(), f => Assert.Matches("^CMP[1-6][0-9]{2}$", (string)f.GetRawConstantValue()!));
    }

    [GeneratedRegex(@"public const string \w+ = ""(CMP\d{3})"";")]
    private static partial Regex CodeConstant();

    [GeneratedRegex(@"""(CMP\d{3})""")]
    private static partial Regex CodeLiteral();

    [GeneratedRegex(@"(?m)^### (CMP\d{3}): ")]
    private static partial Regex DocHeading();
}
