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

    /// <summary>Key/value heads; 0 means as many as <see cref="Heads"/>. Fewer gives grouped queries (each key/value head serves Heads / KeyValueHeads query heads).</summary>
    public int KeyValueHeads { get; init; }

    /// <summary>Rotary position embedding (rotate-half, theta 10000, over the whole head) on queries and keys instead of a learned position embedding.</summary>
    public bool Rotary { get; init; }

    /// <summary>
    /// Quantize every projection and the LM head to 4 bits, symmetric, in blocks of this many input features (0: float
    /// weights). With <see cref="ModelBuilderLayout"/> the decoder multiplies by the packed weights (MatMulNBits); without,
    /// by their dequantized float values — the float reference of the same numbers.
    /// </summary>
    public int QuantBlockSize { get; init; }

    /// <summary>
    /// The layout ORT GenAI's model builder writes for CPU int4 models: one packed Q/K/V MatMulNBits per layer feeding
    /// com.microsoft GroupQueryAttention (rotary inside it from cos/sin caches, seqlens_k and total_sequence_length
    /// derived from the attention mask), MatMulNBits elsewhere, no position_ids input, and genai_config's
    /// <c>search.past_present_share_buffer</c> true (past and present one buffer of max_length). Needs
    /// <see cref="Rotary"/>, <see cref="QuantBlockSize"/> &gt; 0, the separate cache layout and fp32 cache and logits.
    /// </summary>
    public bool ModelBuilderLayout { get; init; }

    /// <summary>
    /// With <see cref="ModelBuilderLayout"/>: an 8-bit quantized key/value cache (int8 past/present, per-tensor k_scale and
    /// v_scale, GroupQueryAttention kv_cache_bit_width 8), as the model builder writes with kv_cache_quant_type; 0: float.
    /// </summary>
    public int KvCacheBits { get; init; }

    /// <summary>Writes <c>search.past_present_share_buffer</c> in genai_config.json (the model-builder layout sets it).</summary>
    public bool? PastPresentShareBuffer { get; init; }

    public int Hidden => Heads * HeadSize;

    public int KvHeads => KeyValueHeads > 0 ? KeyValueHeads : Heads;

    /// <summary>A folder as the model builder writes it for a small llama-like model with grouped queries.</summary>
    public static TinyDecoderSpec ModelBuilder(int seed = 1) => new()
    {
        Layers = 2,
        Heads = 4,
        KeyValueHeads = 2,
        HeadSize = 16,
        MlpSize = 128,
        Seed = seed,
        Rotary = true,
        QuantBlockSize = 32,
        ModelBuilderLayout = true,
        PositionIds = false,
        PastPresentShareBuffer = true,
    };

    /// <summary>The same weights (dequantized) and the same computation in standard ONNX operators: the float reference of a model-builder folder.</summary>
    public TinyDecoderSpec FloatReference() => this with { ModelBuilderLayout = false, PositionIds = true, PastPresentShareBuffer = null };
}
