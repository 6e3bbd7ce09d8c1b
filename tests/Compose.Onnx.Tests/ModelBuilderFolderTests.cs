using Compose.Onnx.GenAi;
using Compose.Onnx.Generation;
using Compose.Onnx.Runtime;
using Compose.Onnx.TestKit;

namespace Compose.Onnx.Tests;

/// <summary>
/// Folders in the layout ORT GenAI's model builder writes for real models (GroupQueryAttention with grouped queries and
/// rotary embedding inside it, 4-bit MatMulNBits weights, a shared past/present buffer in genai_config), written by the
/// test kit: both engines run them and give the greedy tokens of the same weights computed in standard operators.
/// </summary>
public sealed class ModelBuilderFolderTests
{
    private static readonly int[][] Prompts =
    [
        [TinyDecoderWriter.ImStart, 72, 101, 108, 108, 111, 10],
        [65, 66, 67],
        [TinyDecoderWriter.ImStart, 87, 104, 97, 116, 32, 105, 115, 32, 52, 55, 43, 51, 56, 53, 63, 10],
    ];

    private static GenerationRequest Greedy(IReadOnlyList<int> prompt, int n) =>
        new() { PromptIds = prompt, MaxNewTokens = n, StopAtEndOfSequence = false };

    [Fact]
    public async Task Both_engines_give_the_float_reference_tokens()
    {
        using var temp = new TempFolder();
        var spec = TinyDecoderSpec.ModelBuilder();
        var builder = TinyDecoderWriter.Write(temp.Sub("builder"), spec);
        var reference = TinyDecoderWriter.Write(temp.Sub("reference"), spec.FloatReference());
        using var expected = OnnxModel.Load(reference, new OnnxModelOptions { PrefixCacheBytes = 0 });
        using var compose = OnnxModel.Load(builder);
        using var genai = GenAiModel.Load(builder);
        foreach (var prompt in Prompts)
        {
            var want = await expected.GenerateAsync(Greedy(prompt, 24));
            var a = await compose.GenerateAsync(Greedy(prompt, 24));
            var b = await genai.GenerateAsync(Greedy(prompt, 24));
            Assert.Equal(want.Tokens, b.Tokens);
            Assert.Equal(want.Tokens, a.Tokens);
        }
    }

    [Theory]
    [InlineData("compose")]
    [InlineData("genai")]
    public async Task Concurrent_requests_of_different_lengths_match_the_reference(string engine)
    {
        using var temp = new TempFolder();
        var spec = TinyDecoderSpec.ModelBuilder(seed: 3);
        var builder = TinyDecoderWriter.Write(temp.Sub("builder"), spec);
        var reference = TinyDecoderWriter.Write(temp.Sub("reference"), spec.FloatReference());
        using var expected = OnnxModel.Load(reference, new OnnxModelOptions { PrefixCacheBytes = 0 });
        var options = new OnnxModelOptions { BatchWindow = TimeSpan.FromMilliseconds(100) };
        using var genai = engine == "genai" ? GenAiModel.Load(builder, options) : null;
        using var compose = genai is null ? OnnxModel.Load(builder, options) : null;
        IOnnxEngine model = (IOnnxEngine?)genai ?? compose!;
        var requests = Prompts.Concat(Prompts).Select((p, i) => Greedy(p, 6 + (3 * i))).ToList();

        var results = await Task.WhenAll(requests.Select(r => model.GenerateAsync(r)));

        // GroupQueryAttention reads each row's keys from the start of its buffer: rows of one prompt length run together,
        // unpadded (three lengths here: three batches of two).
        Assert.Equal(3, genai is null ? compose!.Statistics.Batches : genai.Statistics.Batches);
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal((await expected.GenerateAsync(requests[i])).Tokens, results[i].Tokens);
        }
    }

    [Fact]
    public void The_graph_reader_names_the_model_builder_features()
    {
        using var temp = new TempFolder();
        var spec = TinyDecoderSpec.ModelBuilder();
        var builder = TinyDecoderWriter.Write(temp.Sub("builder"), spec);
        var reference = TinyDecoderWriter.Write(temp.Sub("reference"), spec.FloatReference());

        var graph = DecoderGraph.Read(Path.Combine(builder, "model.onnx"));
        Assert.Equal(spec.Layers, graph.GroupQueryAttentionNodes);
        Assert.True(graph.RotaryInAttention);
        Assert.True(graph.PackedQkv);
        Assert.Null(graph.KvCacheBits);
        Assert.Equal((4 * spec.Layers) + 1, graph.MatMulNBitsNodes); // qkv, o, up, down per layer; the LM head
        Assert.Equal([4], graph.WeightBits);
        Assert.Equal([32], graph.BlockSizes);
        Assert.Contains("com.microsoft:GroupQueryAttention", graph.Operators);
        Assert.True(Config.GenAiConfigReader.Read(builder).Search.PastPresentShareBuffer);

        var plain = DecoderGraph.Read(Path.Combine(reference, "model.onnx"));
        Assert.False(plain.UsesGroupQueryAttention);
        Assert.Equal(0, plain.MatMulNBitsNodes);
        Assert.Equal("standard ONNX operators only", plain.Summary());
        Assert.False(Config.GenAiConfigReader.Read(reference).Search.PastPresentShareBuffer);
    }

    [Fact]
    public void Validate_warns_that_a_prefix_cache_has_no_effect_on_a_grouped_query_attention_folder_on_the_compose_engine()
    {
        using var temp = new TempFolder();
        var builder = TinyDecoderWriter.Write(temp.Sub("builder"), TinyDecoderSpec.ModelBuilder());
        var plain = TinyDecoderWriter.Write(temp.Sub("plain"), TinyDecoderSpec.ModelBuilder().FloatReference());
        using var provider = new OnnxModelProvider();
        var context = new Compose.Models.ModelProviderContext { BaseDirectory = temp.Path, Catalog = Compose.Models.ModelProviderCatalog.Empty };
        static Compose.Language.ModelSpec Spec(string folder, params (string Key, string Value)[] options)
        {
            var at = new Compose.Language.SourceLocation("p.yaml", 1, 1);
            var entries = new[] { ("path", folder) }.Concat(options)
                .Select(o => new Compose.Language.SpecEntry(o.Item1, at, new Compose.Language.SpecScalar(o.Item2, at)));
            return new Compose.Language.ModelSpec("m", "onnx", new Compose.Language.SpecMapping([.. entries], at), at);
        }

        var warning = Assert.Single(provider.Check(Spec(builder, ("prefix_cache_mb", "8")), context));
        Assert.Equal(OnnxErrors.EngineLacksFeature, warning.Code);
        Assert.False(warning.IsError);
        Assert.Contains("GroupQueryAttention", warning.Message, StringComparison.Ordinal);
        Assert.Empty(provider.Check(Spec(builder, ("prefix_cache_mb", "0")), context)); // off: nothing to warn about
        Assert.Empty(provider.Check(Spec(plain, ("prefix_cache_mb", "8")), context)); // plain attention keeps a prefix cache
        Assert.DoesNotContain(provider.Check(Spec(builder, ("prefix_cache_mb", "8"), ("engine", "genai")), context), d => d.Message.Contains("GroupQueryAttention", StringComparison.Ordinal));
    }

    [Fact]
    public void Inspect_says_which_engine_runs_the_folder_and_which_features_it_uses()
    {
        using var temp = new TempFolder();
        var builder = TinyDecoderWriter.Write(temp.Sub("builder"), TinyDecoderSpec.ModelBuilder());

        var text = OnnxModelInspector.Describe(builder);

        Assert.Contains("GroupQueryAttention x2 (packed Q/K/V, rotary inside); MatMulNBits x9 (4-bit weights, block 32)", text, StringComparison.Ordinal);
        Assert.Contains("attention heads   4 (2 key/value)", text, StringComparison.Ordinal);
        Assert.Matches(@"loads this folder\s+yes\s+yes", text);
        Assert.Matches(@"shared past/present\s+no \(grows the cache per step\)\s+yes", text);
        Assert.Contains("one prompt length (GroupQueryAttention)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quantized_key_value_cache_is_refused_by_the_compose_engine_naming_it_and_runs_on_genai()
    {
        using var temp = new TempFolder();
        var folder = TinyDecoderWriter.Write(temp.Sub("int8kv"), TinyDecoderSpec.ModelBuilder() with { KvCacheBits = 8 });

        var e = Assert.Throws<Language.DiagnosticException>(() => OnnxModel.Load(folder));
        Assert.Equal(OnnxErrors.ComposeEngineLacksFeature, e.Diagnostics[0].Code);
        Assert.Contains("quantized key/value cache (8-bit", e.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.EndsWith("model.onnx", e.Diagnostics[0].Location.File, StringComparison.Ordinal);

        var text = OnnxModelInspector.Describe(folder);
        Assert.Contains("8-bit key/value cache", text, StringComparison.Ordinal);
        Assert.Matches(@"loads this folder\s+no \(ONNX018: .*\)\s+yes", text);

        // ORT GenAI drives the int8 cache itself (its numbers differ from the float cache's, so only that it runs is checked).
        using var genai = GenAiModel.Load(folder);
        var result = await genai.GenerateAsync(Greedy(Prompts[0], 8));
        Assert.Equal(8, result.Tokens.Count);
        Assert.All(result.Tokens, t => Assert.InRange(t, 0, TinyDecoderSpec.ModelBuilder().Vocab - 1));
    }
}
