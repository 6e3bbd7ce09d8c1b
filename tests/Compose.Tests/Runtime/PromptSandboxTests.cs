using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

public sealed class PromptSandboxTests
{
    [Fact]
    public async Task User_text_is_data_and_never_runs_as_template_code()
    {
        var model = new TestModel((p, _) => p);
        using var pipeline = PipelineHarness.Build("compose: 1\nname: echo\nmodels: { m: { provider: instance } }\ndefaults: { model: m }\nlayers:\n  - generate: {}\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("{{ 6 * 7 }} {{ include 'secrets' }} {% end %}");
        Assert.Equal("{{ 6 * 7 }} {{ include 'secrets' }} {% end %}", result.Answer);
    }

    [Fact]
    public async Task Inline_prompts_override_the_default_template()
    {
        var model = new TestModel((p, _) => p);
        using var pipeline = PipelineHarness.Build("compose: 1\nname: echo\nmodels: { m: { provider: instance } }\ndefaults: { model: m }\nlayers:\n  - generate: { prompt: 'Q: {{ question | string.upcase }}' }\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        Assert.Equal("Q: HELLO", (await pipeline.RunAsync("hello")).Answer);
    }

    [Theory]
    [InlineData("{{ include 'x' }}")]
    [InlineData("{{ for i in 1..100000000 }}x{{ end }}")]
    [InlineData("{{ func f; ret f; end; f }}")]
    public void Templates_cannot_escape_or_run_away(string text)
    {
        var (template, problems) = PromptTemplate.Parse("generate", text, "inline", new SourceLocation("f.yaml", 3, 5));
        Assert.Empty(problems);
        var ex = Assert.Throws<PromptRenderException>(() => template!.Render(PromptModels.ForQuestion("q")));
        Assert.Contains("generate", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{ for i in 1..9000 }}{{ x = 'a' | string.pad_left 1900000 }}{{ end }}")]
    [InlineData("{{ func f(n); if n > 0; f(n - 1); f(n - 1); end; end; f(30) }}")]
    [InlineData("{{ s = 'a'; for i in 1..9999; s = s | string.pad_left 1000000 | string.slice 0 10; end; s }}")]
    public void A_slow_template_is_stopped_by_its_time_limit(string text)
    {
        var (template, problems) = PromptTemplate.Parse("generate", text, "inline", new SourceLocation("f.yaml", 3, 5));
        Assert.Empty(problems);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<PromptRenderException>(() => template!.Render(PromptModels.ForQuestion("q")));
        Assert.True(clock.Elapsed < PromptTemplate.RenderTimeout + TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains(RuntimeDiagnosticCodes.TemplateTimedOut, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_see_no_environment()
    {
        Environment.SetEnvironmentVariable("COMPOSE_SECRET_FOR_TEST", "hunter2");
        const string Text = "[{{ probe.secret }}|{{ environment }}{{ env }}]";

        // The control: Scriban left to its defaults (.NET members readable) does read the variable through a
        // .NET object in the model, so these expressions would leak it without the sandbox.
        var open = new Scriban.TemplateContext();
        open.PushGlobal(ProbeModel());
        var unsandboxed = Scriban.Template.Parse(Text).Render(open);
        Assert.Contains("hunter2", unsandboxed, StringComparison.Ordinal);

        var (template, problems) = PromptTemplate.Parse("generate", Text, "inline", SourceLocation.None);
        Assert.Empty(problems);
        var rendered = template!.Render(ProbeModel());
        Assert.DoesNotContain("hunter2", rendered, StringComparison.Ordinal);
        Assert.Equal("[|]", rendered); // no .NET member of any object in the model is readable
    }

    private static Scriban.Runtime.ScriptObject ProbeModel()
    {
        var model = PromptModels.ForQuestion("q");
        model["probe"] = new EnvironmentProbe();
        return model;
    }

    /// <summary>A .NET object in a prompt model whose members read the process environment.</summary>
    public sealed class EnvironmentProbe
    {
        public string? Secret => Environment.GetEnvironmentVariable("COMPOSE_SECRET_FOR_TEST");
    }

    [Fact]
    public void A_template_syntax_error_is_a_located_diagnostic()
    {
        var (template, problems) = PromptTemplate.Parse("fuse", "{{ for c in candidates }}", "inline", new SourceLocation("p.yaml", 7, 9));
        Assert.Null(template);
        var d = Assert.Single(problems);
        Assert.Equal(RuntimeDiagnosticCodes.TemplateSyntax, d.Code);
        Assert.Equal(new SourceLocation("p.yaml", 7, 9), d.Location);
    }

    [Fact]
    public void Renders_on_one_thread_share_nothing_a_template_wrote_or_left_behind()
    {
        static PromptTemplate Parse(string text) => PromptTemplate.Parse("t", text, "inline", SourceLocation.None).Template!;
        var writer = Parse("{{ leaked = 'secret' }}{{ question }}{{ capture kept }}x{{ end }}");
        var reader = Parse("[{{ leaked }}][{{ kept }}][{{ question }}]");
        var failing = Parse("{{ for i in 1..100000 }}{{ i }}{{ end }}");
        Exception? failure = null;
        var run = new Thread(() =>
        {
            try
            {
                Assert.Equal("first", writer.Render(PromptModels.ForQuestion("first")));
                Assert.Equal("[][][second]", reader.Render(PromptModels.ForQuestion("second")));
                Assert.Throws<PromptRenderException>(() => failing.Render(PromptModels.ForQuestion("q")));
                Assert.Equal("[][][third]", reader.Render(PromptModels.ForQuestion("third")));
                Assert.Equal("[][][fourth]", reader.Render(PromptModels.ForQuestion("fourth")));
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        run.Start();
        run.Join();
        Assert.Null(failure);
    }

    [Fact]
    public void Every_built_in_template_parses()
    {
        var templates = Compose.Techniques.TechniqueCatalog.BuiltIn.All.SelectMany(d => d.Templates).Distinct().ToList();
        Assert.Equal(15, templates.Count); // refine shares critique's and verify's; the searches share step and the reward templates; critique_all and verify_reasoning are Archon's critic and verifier
        foreach (var template in templates)
        {
            Assert.Equal(template.Name, template.Default.Name);
        }
    }
}
