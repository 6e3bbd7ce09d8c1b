namespace Compose.Onnx.Config;

/// <summary>Input and output names of the decoder graph; the cache names hold a <c>%d</c> for the layer index.</summary>
public sealed record DecoderIoNames
{
    public string InputIds { get; init; } = "input_ids";
    public string AttentionMask { get; init; } = "attention_mask";
    public string PositionIds { get; init; } = "position_ids";
    public string Logits { get; init; } = "logits";

    /// <summary>Combined layout: <c>past_%d</c>. Null for the separate layout.</summary>
    public string? PastNames { get; init; }

    public string? PresentNames { get; init; }

    public string PastKeyNames { get; init; } = "past_key_values.%d.key";
    public string PastValueNames { get; init; } = "past_key_values.%d.value";
    public string PresentKeyNames { get; init; } = "present.%d.key";
    public string PresentValueNames { get; init; } = "present.%d.value";

    public KvCacheLayout Layout => PastNames is null ? KvCacheLayout.Separate : KvCacheLayout.Combined;

    /// <summary>Replaces the first <c>%d</c> of a name pattern with the layer index.</summary>
    public static string Format(string pattern, int layer) =>
        pattern.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
