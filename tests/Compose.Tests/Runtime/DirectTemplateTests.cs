using Compose.Prompts;
using Compose.Techniques;
using Scriban.Runtime;

namespace Compose.Tests.Runtime;

/// <summary>
/// Built-in templates on every call's path render in plain code; each must write exactly what its Scriban template
/// renders, for every shape of data its technique gives: random questions and candidates (empty, multi-line, padded,
/// braces and markup), with and without critiques.
/// </summary>
public sealed class DirectTemplateTests
{
    private static readonly string[] Pieces =
    [
        "", " ", "\n", "\n\n", "  padded  ", "What is 6*7?", "{{ question }}", "[1] > [2]", "Ünïcödé ✓", "line one\nline two",
        "\t tab", "Answer: 42", "}}", "{%", "\r\n", "x",
    ];

    public static TheoryData<string> Names() => ["generate", "critique", "verify", "rank_listwise", "fuse", "step"];

    [Theory]
    [MemberData(nameof(Names))]
    public void A_direct_renderer_writes_what_its_template_renders(string name)
    {
        var template = TechniqueCatalog.BuiltIn.All.SelectMany(d => d.Templates).First(t => t.Name == name).Default;
        Assert.True(template.HasDirect, $"{name} renders in plain code");
        var random = new Random(20261130);
        for (var trial = 0; trial < 400; trial++)
        {
            var model = PromptModels.ForQuestion(Text(random));
            var count = random.Next(0, 5);
            var candidates = new ScriptArray();
            for (var i = 0; i < count; i++)
            {
                candidates.Add(PromptModels.Candidate(i + 1, $"c{i}", Text(random), Enumerable.Range(0, random.Next(0, 3)).Select(_ => Text(random)), random.Next(2) == 0 ? null : random.NextDouble(), "m"));
            }

            model["candidates"] = candidates;
            model["candidate"] = PromptModels.Candidate(random.Next(1, 9), "c", Text(random), Enumerable.Range(0, random.Next(0, 2)).Select(_ => Text(random)), null, null);
            Assert.Equal(template.RenderInterpreted(model), template.Render(model));
        }
    }

    [Fact]
    public void Data_of_another_shape_is_interpreted()
    {
        var template = TechniqueCatalog.BuiltIn.All.SelectMany(d => d.Templates).First(t => t.Name == "verify").Default;
        var model = PromptModels.ForQuestion("q");
        model["candidate"] = PromptModels.Candidate(1, "c", "an answer", [], null, null);
        model["reasoning"] = "it adds up";
        var rendered = template.Render(model);
        Assert.Contains("it adds up", rendered, StringComparison.Ordinal);
        Assert.Equal(template.RenderInterpreted(model), rendered);
    }

    private static string Text(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(0, 4)).Select(_ => Pieces[random.Next(Pieces.Length)]));
}
