using Compose.Onnx.Config;

namespace Compose.Onnx.TestKit;

/// <summary>The shape of a tiny decoder model folder written by <see cref="TinyDecoderWriter"/>.</summary>
public sealed record TinyDecoderSpec
{
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 2;
    public int HeadSize { get; init; } = 8;

    /// <summary>Hidden size of the feed-forward block; 0 leaves it out.</summary>
    public int MlpSize { get; init; }

    /// <summary>Logits per position; at least 259 (256 byte tokens and 3 special tokens).</summary>
    public int Vocab { get; init; } = 320;

    public int ContextLength { get; init; } = 256;
    public int Seed { get; init; } = 1;
    public string ModelType { get; init; } = "llama";
    public KvCacheLayout Layout { get; init; } = KvCacheLayout.Separate;
    public bool Int32Ids { get; init; }
    public bool Float16Cache { get; init; }
    public bool Float16Logits { get; init; }
    public bool PositionIds { get; init; } = true;

    /// <summary>
    /// Only printable ASCII and the newline can be generated (a bias of -1e4 on the other logits, special tokens
    /// included): the text decodes and re-encodes to the same tokens, and the model never ends its turn itself.
    /// </summary>
    public bool PrintableOutput { get; init; }

    /// <summary>Store the weights in model.onnx.data next to model.onnx.</summary>
    public bool ExternalData { get; init; }

    public int Hidden => Heads * HeadSize;
}
