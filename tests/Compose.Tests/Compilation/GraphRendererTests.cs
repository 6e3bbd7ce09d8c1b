using Compose.Compilation;

namespace Compose.Tests.Compilation;

public sealed class GraphRendererTests
{
    private static PipelineGraph Graph(string file) =>
        PipelineCompiler.CompileFile(Path.Combine(TestFiles.Output("Valid"), file), FakeProvider.Catalog).Graph!;

    [Fact]
    public void Text_lists_every_node_with_its_bounds_and_the_totals()
    {
        var text = GraphRenderer.Text(Graph("rank-then-fuse.yaml"));
        var lines = text.Split('\n');

        Assert.StartsWith("pipeline rank-then-fuse", lines[0]);
        Assert.Matches(@"^layer\s+node\s+technique\s+models\s+cand in→out\s+calls\s+tokens in\s+tokens out$", lines[1]);
        Assert.Matches(@"^1\s+L1\.generate\s+generate\s+local, gpt\s+0→10\s+10\s+7680\s+10240$", lines[3]);
        Assert.Matches(@"^4\s+L4\.fuse\s+fuse\s+gpt\s+5→1\s+1\s+11008\s+1024$", lines[6]);
        Assert.Matches(@"^\s+total\s+→1\s+22\s+57856\s+22528$", lines[8]);
        Assert.Contains("total tokens: 80384, max cost: 18.5472", text);
        Assert.DoesNotContain(lines, l => l.EndsWith(' '));
    }

    [Fact]
    public void Mermaid_declares_each_node_once_and_links_layers()
    {
        var mermaid = GraphRenderer.Mermaid(Graph("everything.yaml"));
        var lines = mermaid.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("flowchart LR", lines[0]);
        Assert.Contains("    n0[\"propose<br/>generate (base, judge)<br/>0→8 candidates, ≤8 calls\"]", lines);
        Assert.Contains("    input --> n0", lines);
        Assert.Contains("    n0 --> n1", lines);
        Assert.Contains("    n0 --> n2", lines);
        Assert.Contains("    n10 --> output", lines);
        Assert.All(lines.Skip(1), l => Assert.Matches(@"^    (\w+(\(\[|\[)"".*""(\]\)|\])|\w+ --> \w+)$", l));
    }

    [Fact]
    public void Dot_is_a_digraph_with_quoted_escaped_labels()
    {
        var graph = Graph("rank-then-fuse.yaml");
        graph = graph with { Spec = graph.Spec with { Name = "quote\" and \\ back" } };

        var dot = GraphRenderer.Dot(graph);

        Assert.StartsWith("digraph pipeline {\n", dot);
        Assert.EndsWith("}\n", dot);
        Assert.Contains("label=\"quote\\\" and \\\\ back\";", dot);
        Assert.Contains("\"L1.generate\" [label=\"L1.generate\\ngenerate (local, gpt)\\n0→10 candidates, ≤10 calls\"];", dot);
        Assert.Contains("\"L3.rank\" -> \"L4.fuse\";", dot);
        Assert.Contains("\"L4.fuse\" -> \"output\";", dot);
        Assert.Equal(dot.Count(c => c == '{'), dot.Count(c => c == '}'));
    }

    [Fact]
    public void Mermaid_escapes_user_text_in_labels()
    {
        var graph = Graph("rank-then-fuse.yaml");
        graph = graph with { Nodes = [.. graph.Nodes.Select((n, i) => i == 0 ? n with { Id = "a\"b<c>#d" } : n)] };

        var mermaid = GraphRenderer.Mermaid(graph);

        Assert.Contains("    n0[\"a#quot;b#lt;c#gt;#35;d<br/>generate (local, gpt)<br/>0→10 candidates, ≤10 calls\"]", mermaid);
    }
}
