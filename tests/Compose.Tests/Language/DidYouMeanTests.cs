using Compose.Language;

namespace Compose.Tests.Language;

public sealed class DidYouMeanTests
{
    [Theory]
    [InlineData("samples", "samples", 0)]
    [InlineData("smaples", "samples", 1)]
    [InlineData("gtp", "gpt", 1)]
    [InlineData("kep", "keep", 1)]
    [InlineData("listwse", "listwise", 1)]
    [InlineData("abc", "xyz", 3)]
    [InlineData("", "fuse", 4)]
    public void Distance_counts_adjacent_transpositions_as_one_edit(string a, string b, int distance)
    {
        Assert.Equal(distance, DidYouMean.Distance(a, b));
    }

    [Theory]
    [InlineData("Generate", "generate")]
    [InlineData("genrate", "generate")]
    [InlineData("unit_test", "unit_tests")]
    [InlineData("unittests", "unit_tests")]
    [InlineData("fsue", "fuse")]
    [InlineData("xyz", null)]
    [InlineData("summarize", null)]
    public void Suggests_only_close_words(string word, string? expected)
    {
        Assert.Equal(expected, DidYouMean.Suggest(word, ["generate", "critique", "rank", "fuse", "verify", "refine", "vote", "unit_tests"]));
    }
}
