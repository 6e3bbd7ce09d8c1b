using System.Text.RegularExpressions;
using Compose.Techniques;

namespace Compose.Tests.Language;

/// <summary>README's technique table is the catalog's: one row per built-in technique, naming each of its options.</summary>
public sealed partial class TechniqueDocsTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "README.md"));

    private static Dictionary<string, string> Rows() =>
        TableRow().Matches(Readme).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    [Fact]
    public void The_table_lists_exactly_the_built_in_techniques_in_catalog_order()
    {
        var rows = TableRow().Matches(Readme).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(TechniqueCatalog.BuiltIn.Keys, rows);
    }

    [Fact]
    public void Each_row_names_every_option_of_its_technique()
    {
        var rows = Rows();
        Assert.All(TechniqueCatalog.BuiltIn.All, definition =>
            Assert.All(definition.Options, option => Assert.Contains($"`{option.Name}`", rows[definition.Key], StringComparison.Ordinal)));
    }

    [GeneratedRegex(@"(?m)^\| `([a-z_]+)` \| [^|\n]+ \|(.*)\|\s*$")]
    private static partial Regex TableRow();
}
