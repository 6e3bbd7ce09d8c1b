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
        using var model = OnnxModel.Load(folder);
        string? genaiProblem = null;
        try
        {
            using var genai = GenAi.GenAiModel.Load(folder, new OnnxModelOptions { ExecutionProvider = "cpu" });
        }
        catch (Language.DiagnosticException e)
        {
            genaiProblem = $"{e.Diagnostics[0].Code}: {e.Diagnostics[0].Message}";
        }

        return Describe(model) + Engines(genaiProblem);
    }

    /// <summary>
    /// Which engine offers which capability in this build (<c>engine: compose | genai</c>), and whether the genai
    /// engine loads the folder (<paramref name="genaiProblem"/>: its diagnostic when it does not).
    /// </summary>
    public static string Engines(string? genaiProblem)
    {
        var compose = OnnxModel.StaticFeatures;
        var genai = GenAi.GenAiModel.StaticFeatures;
        var sb = new StringBuilder();
        void Row(string what, string c, string g) => sb.Append(CultureInfo.InvariantCulture, $"  {what,-22}{c,-30}{g}\n");
        static string Has(EngineFeatures f, EngineFeatures flag, string yes = "yes", string no = "no") => f.HasFlag(flag) ? yes : no;

        sb.Append("engines (engine: compose | genai)\n");
        Row("capability", "compose", "genai");
        Row("loads this folder", "yes", genaiProblem is null ? "yes" : $"no ({genaiProblem})");
        Row("log-probabilities", Has(compose, EngineFeatures.LogProbabilities), Has(genai, EngineFeatures.LogProbabilities, "yes (from the raw logits)"));
        Row("continuation", Has(compose, EngineFeatures.Continuation), Has(genai, EngineFeatures.Continuation));
        Row("constrained output", Has(compose, EngineFeatures.Choices, "choices (logit mask)"), Has(genai, EngineFeatures.Grammar, "choices, regex, JSON schema (guidance)"));
        Row("CUDA", Has(compose, EngineFeatures.Cuda, "yes", "no (build with -p:ComposeOnnxRuntime=gpu)"), Has(genai, EngineFeatures.Cuda, "yes", $"no (needs {GenAi.GenAiModel.CudaPackage}: -p:ComposeGenAiCuda=true)"));
        Row("batching", Has(compose, EngineFeatures.ContinuousBatching, "continuous (joins mid-run)"), Has(genai, EngineFeatures.Batching, "requests issued together, one prompt length"));
        Row("prefix cache", Has(compose, EngineFeatures.PrefixCache), Has(genai, EngineFeatures.PrefixCache));
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
