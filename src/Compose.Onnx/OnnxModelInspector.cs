using System.Globalization;
using System.Text;
using Compose.Onnx.Config;

namespace Compose.Onnx;

/// <summary>What <c>compose models inspect PATH</c> prints: what was read from a model folder.</summary>
public static class OnnxModelInspector
{
    /// <summary>Loads the folder and describes it; problems surface as <see cref="Language.DiagnosticException"/>.</summary>
    public static string Describe(string folder)
    {
        string? genaiProblem = null;
        try
        {
            using var genai = GenAi.GenAiModel.Load(folder, new OnnxModelOptions { ExecutionProvider = "cpu" });
        }
        catch (Language.DiagnosticException e)
        {
            genaiProblem = $"{e.Diagnostics[0].Code}: {e.Diagnostics[0].Message}";
        }

        OnnxModel model;
        try
        {
            model = OnnxModel.Load(folder);
        }
        catch (Language.DiagnosticException e) when (e.Diagnostics[0].Code == OnnxErrors.ComposeEngineLacksFeature)
        {
            // The compose engine refuses a feature of the graph: say what the folder is and which engine runs it.
            var config = GenAiConfigReader.Read(Path.GetFullPath(folder));
            var file = Path.Combine(Path.GetFullPath(folder), config.DecoderFile);
            var graph = Runtime.DecoderGraph.Read(file);
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{"folder",-18}{Path.GetFullPath(folder)}\n{"model type",-18}{config.ModelType}\n{"decoder",-18}{config.DecoderFile}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{"graph",-18}{graph.Summary()}\n{"past/present",-18}{PastPresent(config)}\n");
            return sb + Engines(genaiProblem, $"{e.Diagnostics[0].Code}: {e.Diagnostics[0].Message}", graph, config);
        }

        using (model)
        {
            return Describe(model) + Engines(genaiProblem, null, model.Graph, model.Config);
        }
    }

    private static string PastPresent(GenAiConfig c) => c.Search.PastPresentShareBuffer
        ? "one buffer of max_length per layer (search.past_present_share_buffer): the genai engine shares it; the compose engine feeds the past it has and takes the present the graph returns"
        : "the present each step returns becomes the next past";

    /// <summary>
    /// Which engine offers which capability in this build (<c>engine: compose | genai</c>), and whether each engine loads
    /// the folder (<paramref name="genaiProblem"/>, <paramref name="composeProblem"/>: the diagnostic when it does not);
    /// with the folder's <paramref name="graph"/>, what its model-builder operators change for the compose engine.
    /// </summary>
    public static string Engines(string? genaiProblem, string? composeProblem = null, Runtime.DecoderGraph? graph = null, GenAiConfig? config = null)
    {
        var compose = OnnxModel.StaticFeatures;
        var genai = GenAi.GenAiModel.StaticFeatures;
        var gqa = graph?.UsesGroupQueryAttention == true;
        var sb = new StringBuilder();
        void Row(string what, string c, string g) => sb.Append(CultureInfo.InvariantCulture, $"  {what,-22}{c,-30} {g}\n");
        static string Has(EngineFeatures f, EngineFeatures flag, string yes = "yes", string no = "no") => f.HasFlag(flag) ? yes : no;

        sb.Append("engines (engine: compose | genai)\n");
        Row("capability", "compose", "genai");
        Row("loads this folder", composeProblem is null ? "yes" : $"no ({composeProblem})", genaiProblem is null ? "yes" : $"no ({genaiProblem})");
        if (config?.Search.PastPresentShareBuffer == true)
        {
            Row("shared past/present", "no (grows the cache per step)", "yes (one max_length buffer)");
        }
        Row("log-probabilities", Has(compose, EngineFeatures.LogProbabilities), Has(genai, EngineFeatures.LogProbabilities, "yes (from the raw logits)"));
        Row("continuation", Has(compose, EngineFeatures.Continuation), Has(genai, EngineFeatures.Continuation));
        Row("constrained output", Has(compose, EngineFeatures.Choices, "choices (logit mask)"), Has(genai, EngineFeatures.Grammar, "choices, regex, JSON schema (guidance)"));
        Row("CUDA", Has(compose, EngineFeatures.Cuda, "yes", "no (build with -p:ComposeOnnxRuntime=gpu)"), Has(genai, EngineFeatures.Cuda, "yes", $"no (needs {GenAi.GenAiModel.CudaPackage}: -p:ComposeGenAiCuda=true)"));
        Row("batching", gqa ? "requests issued together, one prompt length (GroupQueryAttention)" : Has(compose, EngineFeatures.ContinuousBatching, "continuous (joins mid-run)"),
            Has(genai, EngineFeatures.Batching, "requests issued together, one prompt length"));
        Row("prefix cache", gqa ? "no (GroupQueryAttention)" : Has(compose, EngineFeatures.PrefixCache), Has(genai, EngineFeatures.PrefixCache));
        return sb.ToString();
    }

    public static string Describe(OnnxModel model)
    {
        var c = model.Config;
        var io = model.Interface;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void Line(string key, string value) => sb.Append(inv, $"{key,-18}{value}\n");

        Line("folder", model.Folder);
        Line("model type", c.ModelType);
        Line("decoder", $"{c.DecoderFile}{(HasExternalData(model) ? " (+ external data)" : "")}");
        Line("layers", c.NumLayers.ToString(inv));
        Line("attention heads", $"{c.NumHeads} ({c.NumKeyValueHeads} key/value) of size {c.HeadSize}");
        if (c.HiddenSize is { } h)
        {
            Line("hidden size", h.ToString(inv));
        }

        Line("context length", c.ContextLength.ToString(inv));
        Line("graph", model.Graph.Summary());
        Line("past/present", PastPresent(c));
        Line("vocabulary", $"{io.VocabSize?.ToString(inv) ?? c.VocabSize?.ToString(inv) ?? "?"} logits ({io.LogitsType})");
        Line("kv cache", io.Layout == KvCacheLayout.Combined
            ? $"combined {c.Names.PastNames} [2, batch, {c.NumKeyValueHeads}, length, {c.HeadSize}] {io.CacheType}"
            : $"separate {c.Names.PastKeyNames} / {c.Names.PastValueNames} [batch, {c.NumKeyValueHeads}, length, {c.HeadSize}] {io.CacheType}");
        Line("inputs", $"{c.Names.InputIds} ({io.IdsType})"
            + (io.HasAttentionMask ? $", {c.Names.AttentionMask} ({io.MaskType})" : ", no attention mask")
            + (io.HasPositionIds ? $", {c.Names.PositionIds} ({io.PositionType})" : ", no position ids"));
        Line("special ids", $"bos {c.BosTokenId?.ToString(inv) ?? "-"}, eos [{string.Join(", ", c.EosTokenIds)}], pad {c.PadTokenId}");
        Line("tokenizer", $"{model.Tokenizer.Kind} from {Path.GetFileName(model.Tokenizer.File)}, {model.Tokenizer.VocabularySize} ids, {model.Tokenizer.SpecialTokens.Count} added tokens");
        Line("chat format", $"{model.ChatFormat.Name} (from {model.ChatFormatSource})");
        Line("execution", string.Join(", ", model.ExecutionProviders.Select(p => p.Name)));
        return sb.ToString();
    }

    private static bool HasExternalData(OnnxModel model) =>
        Directory.EnumerateFiles(model.Folder).Any(f => f.EndsWith(".data", StringComparison.OrdinalIgnoreCase)
            && Path.GetFileName(f).StartsWith(Path.GetFileNameWithoutExtension(model.Config.DecoderFile), StringComparison.OrdinalIgnoreCase));
}
