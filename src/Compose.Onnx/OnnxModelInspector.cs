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
        return Describe(model);
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
