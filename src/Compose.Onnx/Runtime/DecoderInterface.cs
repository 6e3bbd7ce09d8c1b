using Compose.Onnx.Config;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Compose.Onnx.Runtime;

/// <summary>What the decoder graph takes and returns, checked against genai_config.json.</summary>
public sealed record DecoderInterface
{
    public required KvCacheLayout Layout { get; init; }
    public required TensorElementType IdsType { get; init; }
    public TensorElementType? MaskType { get; init; }
    public TensorElementType? PositionType { get; init; }
    public required TensorElementType CacheType { get; init; }
    public required TensorElementType LogitsType { get; init; }
    public required int KeyValueHeads { get; init; }
    public required int HeadSize { get; init; }
    public int? VocabSize { get; init; }

    /// <summary>Past inputs in run order: per layer <c>past_%d</c>, or the key then the value.</summary>
    public required string[] PastNames { get; init; }

    public required string[] PresentNames { get; init; }

    public bool HasAttentionMask => MaskType is not null;
    public bool HasPositionIds => PositionType is not null;

    internal static DecoderInterface Discover(InferenceSession session, GenAiConfig config, string file)
    {
        var inputs = session.InputMetadata;
        var outputs = session.OutputMetadata;
        var names = config.Names;

        NodeMetadata Input(string name) => inputs.TryGetValue(name, out var m) ? m
            : throw Mismatch(file, $"The decoder has no input '{name}' (it has: {string.Join(", ", inputs.Keys)}).");
        NodeMetadata Output(string name) => outputs.TryGetValue(name, out var m) ? m
            : throw Mismatch(file, $"The decoder has no output '{name}' (it has: {string.Join(", ", outputs.Keys)}).");

        var ids = Input(names.InputIds);
        var idsType = IntType(ids, names.InputIds, file);
        var maskType = inputs.TryGetValue(names.AttentionMask, out var mask) ? IntType(mask, names.AttentionMask, file) : (TensorElementType?)null;
        var posType = inputs.TryGetValue(names.PositionIds, out var pos) ? IntType(pos, names.PositionIds, file) : (TensorElementType?)null;
        var logits = Output(names.Logits);
        if (logits.ElementDataType is not (TensorElementType.Float or TensorElementType.Float16) || logits.Dimensions.Length != 3)
        {
            throw Mismatch(file, $"Output '{names.Logits}' must be float or float16 shaped [batch, sequence, vocab], not {Describe(logits)}.");
        }

        var past = new List<string>();
        var present = new List<string>();
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            if (names.Layout == KvCacheLayout.Combined)
            {
                past.Add(DecoderIoNames.Format(names.PastNames!, layer));
                present.Add(DecoderIoNames.Format(names.PresentNames!, layer));
            }
            else
            {
                past.Add(DecoderIoNames.Format(names.PastKeyNames, layer));
                past.Add(DecoderIoNames.Format(names.PastValueNames, layer));
                present.Add(DecoderIoNames.Format(names.PresentKeyNames, layer));
                present.Add(DecoderIoNames.Format(names.PresentValueNames, layer));
            }
        }

        var rank = names.Layout == KvCacheLayout.Combined ? 5 : 4;
        var first = Input(past[0]);
        var cacheType = first.ElementDataType;
        if (cacheType is not (TensorElementType.Float or TensorElementType.Float16))
        {
            throw Mismatch(file, $"Cache input '{past[0]}' must be float or float16, not {cacheType}.");
        }

        foreach (var name in past)
        {
            var m = Input(name);
            CheckCache(m, name, rank, cacheType, config, file);
        }

        foreach (var name in present)
        {
            CheckCache(Output(name), name, rank, cacheType, config, file);
        }

        var known = new HashSet<string>(past) { names.InputIds, names.AttentionMask, names.PositionIds };
        var unknown = inputs.Keys.Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw Mismatch(file, $"The decoder takes inputs the runner does not know how to feed: {string.Join(", ", unknown)}.");
        }

        var vocab = logits.Dimensions[2] > 0 ? logits.Dimensions[2] : (int?)null;
        return new DecoderInterface
        {
            Layout = names.Layout,
            IdsType = idsType,
            MaskType = maskType,
            PositionType = posType,
            CacheType = cacheType,
            LogitsType = logits.ElementDataType,
            KeyValueHeads = config.NumKeyValueHeads,
            HeadSize = config.HeadSize,
            VocabSize = vocab,
            PastNames = [.. past],
            PresentNames = [.. present],
        };
    }

    private static void CheckCache(NodeMetadata m, string name, int rank, TensorElementType type, GenAiConfig config, string file)
    {
        if (m.ElementDataType != type)
        {
            throw Mismatch(file, $"Cache tensor '{name}' is {m.ElementDataType} but the others are {type}.");
        }

        var d = m.Dimensions;
        if (d.Length != rank)
        {
            throw Mismatch(file, $"Cache tensor '{name}' has rank {d.Length}, expected {rank} ({(rank == 5 ? "[2, batch, kv heads, length, head size]" : "[batch, kv heads, length, head size]")}); check decoder.inputs past names in genai_config.json.");
        }

        var heads = d[rank - 3];
        var size = d[rank - 1];
        if ((heads > 0 && heads != config.NumKeyValueHeads) || (size > 0 && size != config.HeadSize) || (rank == 5 && d[0] > 0 && d[0] != 2))
        {
            throw Mismatch(file, $"Cache tensor '{name}' is shaped {Describe(m)} but genai_config.json says {config.NumKeyValueHeads} key/value heads of size {config.HeadSize}.");
        }
    }

    private static TensorElementType IntType(NodeMetadata m, string name, string file) =>
        m.ElementDataType is TensorElementType.Int32 or TensorElementType.Int64
            ? m.ElementDataType
            : throw Mismatch(file, $"Input '{name}' must be int32 or int64, not {m.ElementDataType}.");

    internal static string Describe(NodeMetadata m) =>
        $"{m.ElementDataType}[{string.Join(", ", m.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : (m.SymbolicDimensions.ElementAtOrDefault(i) is { Length: > 0 } s ? s : "?")))}]";

    private static Language.DiagnosticException Mismatch(string file, string message) =>
        OnnxErrors.Fail(OnnxErrors.InterfaceMismatch, file, message, "The decoder does not match genai_config.json; re-export the folder or fix the names and sizes in the config.");
}
