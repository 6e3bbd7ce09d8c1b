using System.Text;
using System.Text.Json;
using Compose.Onnx.Config;

namespace Compose.Onnx.TestKit;

/// <summary>
/// Writes a complete GenAI model folder with a tiny random-weight decoder (token + position embedding,
/// attention layers with a real key/value cache, optional feed-forward, logits) built from standard
/// ONNX ops, plus genai_config.json, a byte-level tokenizer.json and a ChatML tokenizer_config.json.
/// For tests and benchmarks: no Python needed.
/// </summary>
public static class TinyDecoderWriter
{
    public const int EndOfText = 256;
    public const int ImStart = 257;
    public const int ImEnd = 258;

    public static string Write(string folder, TinyDecoderSpec spec)
    {
        if (spec.Vocab < 259)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), "Vocab must be at least 259.");
        }

        Directory.CreateDirectory(folder);
        WriteModel(Path.Combine(folder, "model.onnx"), spec);
        File.WriteAllText(Path.Combine(folder, "genai_config.json"), GenAiConfigJson(spec));
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TokenizerJson());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n", "eos_token": "<|im_end|>"}""");
        return folder;
    }

    private static void WriteModel(string path, TinyDecoderSpec s)
    {
        if (s.KvHeads <= 0 || s.Heads % s.KvHeads != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(s), "Heads must be a multiple of KeyValueHeads.");
        }

        if (s.Rotary && s.HeadSize % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(s), "Rotary embedding needs an even head size.");
        }

        if (s.ModelBuilderLayout)
        {
            WriteModelBuilderModel(path, s);
            return;
        }

        var g = new OnnxGraphBuilder();
        var rng = new Random(s.Seed);
        var e = s.Hidden;
        var idType = s.Int32Ids ? OnnxGraphBuilder.Int32 : OnnxGraphBuilder.Int64;
        var cacheType = s.Float16Cache ? OnnxGraphBuilder.Float16 : OnnxGraphBuilder.Float;
        var combined = s.Layout == KvCacheLayout.Combined;

        g.Input("input_ids", idType, "batch", "seq");
        g.Input("attention_mask", idType, "batch", "total");
        if (s.PositionIds)
        {
            g.Input("position_ids", idType, "batch", "seq");
        }

        var embed = g.Weights("embed", Random(rng, s.Vocab * e, 1f), s.Vocab, e);
        var posEmbed = s.Rotary ? null : g.Weights("pos_embed", Random(rng, s.ContextLength * e, 0.5f), s.ContextLength, e);
        var one = g.Longs("one_i64", [1], []);
        var zero = g.Longs("zero_i64", [0], []);
        var axis1 = g.Longs("axis1", [1], []);
        var headShape = g.Longs("head_shape", [0, 0, s.Heads, s.HeadSize]);
        var kvHeadShape = s.KvHeads == s.Heads ? headShape : g.Longs("kv_head_shape", [0, 0, s.KvHeads, s.HeadSize]);
        var hiddenShape = g.Longs("hidden_shape", [0, 0, e]);
        var scale = g.Scalar("scale", 1f / MathF.Sqrt(s.HeadSize));
        var big = g.Scalar("big", 1e9f);
        var negBig = g.Scalar("neg_big", -1e9f);
        var oneF = g.Scalar("one_f", 1f);

        var x = g.Node("Gather", [embed, "input_ids"], attributes: OnnxGraphBuilder.IntAttr("axis", 0));
        var mask = g.Node("Cast", ["attention_mask"], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Int64));
        var kpos = g.Node("Sub", [g.Node("CumSum", [mask, axis1]), one]);
        string qpos;
        if (s.PositionIds)
        {
            qpos = g.Node("Cast", ["position_ids"], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Int64));
        }
        else
        {
            // The positions of the new tokens are the last `seq` entries of cumsum(mask) - 1.
            var shape = g.Node("Shape", ["input_ids"]);
            var seqLen = g.Node("Slice", [shape, g.Longs("s_start", [1]), g.Longs("s_end", [2])]);
            qpos = g.Node("Slice", [kpos, g.Node("Neg", [seqLen]), g.Longs("s_max", [long.MaxValue]), g.Longs("s_axis", [1])]);
        }

        qpos = g.Node("Max", [qpos, zero]);
        var h = posEmbed is null ? x : g.Node("Add", [x, g.Node("Gather", [posEmbed, qpos], attributes: OnnxGraphBuilder.IntAttr("axis", 0))]);
        Func<string, string>? rope = null;
        if (s.Rotary)
        {
            // Rotate-half rotary embedding from the position of each new token: [b, 1, seq, head/2] cos and sin.
            var (cosCache, sinCache) = RotaryCaches(g, s);
            var ax1 = g.Longs("rope_ax1", [1]);
            var cos = g.Node("Unsqueeze", [g.Node("Gather", [cosCache, qpos], attributes: OnnxGraphBuilder.IntAttr("axis", 0)), ax1]);
            var sin = g.Node("Unsqueeze", [g.Node("Gather", [sinCache, qpos], attributes: OnnxGraphBuilder.IntAttr("axis", 0)), ax1]);
            var half = s.HeadSize / 2;
            var (start0, endHalf, endAll, axis3) = (g.Longs("rope_s0", [0]), g.Longs("rope_half", [half]), g.Longs("rope_all", [s.HeadSize]), g.Longs("rope_ax3", [3]));
            rope = t =>
            {
                var x1 = g.Node("Slice", [t, start0, endHalf, axis3]);
                var x2 = g.Node("Slice", [t, endHalf, endAll, axis3]);
                var r1 = g.Node("Sub", [g.Node("Mul", [x1, cos]), g.Node("Mul", [x2, sin])]);
                var r2 = g.Node("Add", [g.Node("Mul", [x2, cos]), g.Node("Mul", [x1, sin])]);
                return g.Node("Concat", [r1, r2], attributes: OnnxGraphBuilder.IntAttr("axis", 3));
            };
        }

        // Attention bias [batch, 1, seq, total]: -1e9 on padding and on keys after the query's position.
        var maskF = g.Node("Cast", [mask], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float));
        var padBias = g.Node("Unsqueeze", [g.Node("Mul", [g.Node("Sub", [maskF, oneF]), big]), g.Longs("ax12", [1, 2])]);
        var future = g.Node("Greater", [g.Node("Unsqueeze", [kpos, g.Longs("ax12b", [1, 2])]), g.Node("Unsqueeze", [qpos, g.Longs("ax13", [1, 3])])]);
        var causal = g.Node("Mul", [g.Node("Cast", [future], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float)), negBig]);
        var bias = g.Node("Add", [causal, padBias]);

        var w = 1f / MathF.Sqrt(e);
        for (var layer = 0; layer < s.Layers; layer++)
        {
            string pastK, pastV;
            if (combined)
            {
                g.Input($"past_{layer}", cacheType, 2, "batch", s.KvHeads, "past", s.HeadSize);
                pastK = g.Node("Gather", [$"past_{layer}", g.Longs($"i0_{layer}", [0], [])], attributes: OnnxGraphBuilder.IntAttr("axis", 0));
                pastV = g.Node("Gather", [$"past_{layer}", g.Longs($"i1_{layer}", [1], [])], attributes: OnnxGraphBuilder.IntAttr("axis", 0));
            }
            else
            {
                g.Input($"past_key_values.{layer}.key", cacheType, "batch", s.KvHeads, "past", s.HeadSize);
                g.Input($"past_key_values.{layer}.value", cacheType, "batch", s.KvHeads, "past", s.HeadSize);
                pastK = $"past_key_values.{layer}.key";
                pastV = $"past_key_values.{layer}.value";
            }

            if (s.Float16Cache)
            {
                pastK = g.Node("Cast", [pastK], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float));
                pastV = g.Node("Cast", [pastV], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float));
            }

            string Heads(string name, int heads, string shape)
            {
                var proj = g.Node("MatMul", [h, g.Weights($"{name}_{layer}", Weight(rng, s, e, heads * s.HeadSize, w), e, heads * s.HeadSize)]);
                return g.Node("Transpose", [g.Node("Reshape", [proj, shape])], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 2, 1, 3));
            }

            // Each key/value head serves Heads / KvHeads consecutive query heads: repeat it that many times.
            string Repeat(string t) => s.KvHeads == s.Heads ? t
                : g.Node("Reshape", [g.Node("Expand", [g.Node("Unsqueeze", [t, g.Longs($"rep_ax_{t}", [2])]), g.Longs($"rep_{t}", [1, 1, s.Heads / s.KvHeads, 1, 1])]),
                    g.Longs($"rep_shape_{t}", [0, s.Heads, -1, s.HeadSize])]);

            var q = Heads("wq", s.Heads, headShape);
            var kNew = Heads("wk", s.KvHeads, kvHeadShape);
            if (rope is not null)
            {
                q = rope(q);
                kNew = rope(kNew);
            }

            var kAll = g.Node("Concat", [pastK, kNew], attributes: OnnxGraphBuilder.IntAttr("axis", 2));
            var vAll = g.Node("Concat", [pastV, Heads("wv", s.KvHeads, kvHeadShape)], attributes: OnnxGraphBuilder.IntAttr("axis", 2));
            var scores = g.Node("MatMul", [q, g.Node("Transpose", [Repeat(kAll)], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 1, 3, 2))]);
            var probs = g.Node("Softmax", [g.Node("Add", [g.Node("Mul", [scores, scale]), bias])], attributes: OnnxGraphBuilder.IntAttr("axis", -1));
            var ctx = g.Node("Transpose", [g.Node("MatMul", [probs, Repeat(vAll)])], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 2, 1, 3));
            var attn = g.Node("MatMul", [g.Node("Reshape", [ctx, hiddenShape]), g.Weights($"wo_{layer}", Weight(rng, s, e, e, w), e, e)]);
            h = g.Node("Add", [h, attn]);
            if (s.MlpSize > 0)
            {
                var up = g.Node("Relu", [g.Node("MatMul", [h, g.Weights($"w1_{layer}", Weight(rng, s, e, s.MlpSize, w), e, s.MlpSize)])]);
                h = g.Node("Add", [h, g.Node("MatMul", [up, g.Weights($"w2_{layer}", Weight(rng, s, s.MlpSize, e, 1f / MathF.Sqrt(s.MlpSize)), s.MlpSize, e)])]);
            }

            string Present(string value, string name) =>
                s.Float16Cache ? g.Node("Cast", [value], name, OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float16)) : g.Node("Identity", [value], name);

            if (combined)
            {
                var both = g.Node("Concat", [g.Node("Unsqueeze", [kAll, g.Longs($"ax0k_{layer}", [0])]), g.Node("Unsqueeze", [vAll, g.Longs($"ax0v_{layer}", [0])])],
                    attributes: OnnxGraphBuilder.IntAttr("axis", 0));
                Present(both, $"present_{layer}");
                g.Output($"present_{layer}", cacheType, 2, "batch", s.KvHeads, "total", s.HeadSize);
            }
            else
            {
                Present(kAll, $"present.{layer}.key");
                Present(vAll, $"present.{layer}.value");
                g.Output($"present.{layer}.key", cacheType, "batch", s.KvHeads, "total", s.HeadSize);
                g.Output($"present.{layer}.value", cacheType, "batch", s.KvHeads, "total", s.HeadSize);
            }
        }

        var named = s.Float16Logits || s.PrintableOutput ? null : "logits";
        var logits = g.Node("MatMul", [h, g.Weights("lm_head", Weight(rng, s, e, s.Vocab, 4f * w), e, s.Vocab)], named);
        if (s.PrintableOutput)
        {
            logits = g.Node("Add", [logits, PrintableBias(g, s)], s.Float16Logits ? null : "logits");
        }

        if (s.Float16Logits)
        {
            g.Node("Cast", [logits], "logits", OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float16));
        }

        g.Output("logits", s.Float16Logits ? OnnxGraphBuilder.Float16 : OnnxGraphBuilder.Float, "batch", "seq", s.Vocab);
        g.Save(path, externalThreshold: s.ExternalData ? 1024 : null);
    }

    /// <summary>-1e4 on every token but printable ASCII and the newline: the model writes text that re-encodes to its own tokens.</summary>
    private static string PrintableBias(OnnxGraphBuilder g, TinyDecoderSpec s)
    {
        var printable = new float[s.Vocab];
        for (var i = 0; i < printable.Length; i++)
        {
            printable[i] = i is (>= 0x20 and <= 0x7E) or 10 ? 0f : -1e4f;
        }

        return g.Weights("printable_bias", printable, s.Vocab);
    }

    /// <summary>A random [rows, cols] weight; with <see cref="TinyDecoderSpec.QuantBlockSize"/> its 4-bit quantized values, dequantized.</summary>
    private static float[] Weight(Random rng, TinyDecoderSpec s, int rows, int cols, float scale)
    {
        var a = Random(rng, rows * cols, scale);
        return s.QuantBlockSize > 0 ? Int4Weights.Quantize(a, rows, cols, s.QuantBlockSize).Dequantized : a;
    }

    /// <summary>cos and sin caches [context length, head size / 2] of rotate-half rotary embedding, theta 10000.</summary>
    private static (string Cos, string Sin) RotaryCaches(OnnxGraphBuilder g, TinyDecoderSpec s)
    {
        var half = s.HeadSize / 2;
        var cos = new float[s.ContextLength * half];
        var sin = new float[s.ContextLength * half];
        for (var p = 0; p < s.ContextLength; p++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = p / Math.Pow(10000, 2.0 * i / s.HeadSize);
                cos[(p * half) + i] = (float)Math.Cos(angle);
                sin[(p * half) + i] = (float)Math.Sin(angle);
            }
        }

        return (g.Weights("cos_cache", cos, s.ContextLength, half), g.Weights("sin_cache", sin, s.ContextLength, half));
    }

    /// <summary>
    /// The model builder's layout (see <see cref="TinyDecoderSpec.ModelBuilderLayout"/>): the same weights, drawn in the same
    /// order as <see cref="WriteModel"/> draws them, so <see cref="TinyDecoderSpec.FloatReference"/> computes the same function.
    /// </summary>
    private static void WriteModelBuilderModel(string path, TinyDecoderSpec s)
    {
        if (!s.Rotary || s.QuantBlockSize <= 0 || s.Layout != KvCacheLayout.Separate || s.Float16Cache || s.Float16Logits || s.PositionIds)
        {
            throw new ArgumentException("The model-builder layout needs Rotary, QuantBlockSize > 0, the separate cache layout, fp32 cache and logits, and no position ids.", nameof(s));
        }

        var g = new OnnxGraphBuilder();
        var rng = new Random(s.Seed);
        var e = s.Hidden;
        var kv = s.KvHeads * s.HeadSize;
        var idType = s.Int32Ids ? OnnxGraphBuilder.Int32 : OnnxGraphBuilder.Int64;
        const string Ms = "com.microsoft";
        g.Input("input_ids", idType, "batch_size", "sequence_length");
        g.Input("attention_mask", idType, "batch_size", "total_sequence_length");
        var embed = g.Weights("embed", Random(rng, s.Vocab * e, 1f), s.Vocab, e);
        var one = g.Longs("one_i64", [1], []);
        var h = g.Node("Gather", [embed, "input_ids"], attributes: OnnxGraphBuilder.IntAttr("axis", 0));

        // GroupQueryAttention's lengths from the 2-D mask, as the model builder derives them: seqlens_k = sum(mask) - 1 per
        // row, total_sequence_length = the mask's width, both int32.
        var mask = g.Node("Cast", ["attention_mask"], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Int64));
        var rowSum = g.Node("ReduceSum", [mask, g.Longs("sum_axes", [1])], attributes: OnnxGraphBuilder.IntAttr("keepdims", 0));
        var seqlensK = g.Node("Cast", [g.Node("Sub", [rowSum, one])], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Int32));
        var width = g.Node("Gather", [g.Node("Shape", ["attention_mask"]), one], attributes: OnnxGraphBuilder.IntAttr("axis", 0));
        var totalLength = g.Node("Cast", [width], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Int32));
        var (cos, sin) = RotaryCaches(g, s);

        string MatMulNBits(string input, string name, float[] weights, int k, int n)
        {
            var q = Int4Weights.Quantize(weights, k, n, s.QuantBlockSize);
            var b = g.Bytes($"{name}.weight_Q4G{s.QuantBlockSize}", q.Packed, n, q.Blocks, s.QuantBlockSize / 2);
            var scales = g.Weights($"{name}.weight_scale", q.Scales, n * q.Blocks);
            return g.Node("MatMulNBits", [input, b, scales], [$"{name}/output_0"], OnnxGraphBuilder.Attrs(
                OnnxGraphBuilder.IntAttr("K", k), OnnxGraphBuilder.IntAttr("N", n), OnnxGraphBuilder.IntAttr("bits", 4),
                OnnxGraphBuilder.IntAttr("block_size", s.QuantBlockSize)), Ms)[0];
        }

        var w = 1f / MathF.Sqrt(e);
        for (var layer = 0; layer < s.Layers; layer++)
        {
            var pastK = $"past_key_values.{layer}.key";
            var pastV = $"past_key_values.{layer}.value";
            var cacheType = s.KvCacheBits == 8 ? OnnxGraphBuilder.Int8 : OnnxGraphBuilder.Float;
            g.Input(pastK, cacheType, "batch_size", s.KvHeads, "past_sequence_length", s.HeadSize);
            g.Input(pastV, cacheType, "batch_size", s.KvHeads, "past_sequence_length", s.HeadSize);

            // One packed Q/K/V projection: the columns of wq, then wk, then wv.
            var wq = Random(rng, e * e, w);
            var wk = Random(rng, e * kv, w);
            var wv = Random(rng, e * kv, w);
            var qkvWidth = e + (2 * kv);
            var wqkv = new float[e * qkvWidth];
            for (var r = 0; r < e; r++)
            {
                wq.AsSpan(r * e, e).CopyTo(wqkv.AsSpan(r * qkvWidth));
                wk.AsSpan(r * kv, kv).CopyTo(wqkv.AsSpan((r * qkvWidth) + e));
                wv.AsSpan(r * kv, kv).CopyTo(wqkv.AsSpan((r * qkvWidth) + e + kv));
            }

            var qkv = MatMulNBits(h, $"/model/layers.{layer}/attn/qkv_proj/MatMul", wqkv, e, qkvWidth);
            string[] inputs = [qkv, "", "", pastK, pastV, seqlensK, totalLength, cos, sin];
            var attributes = OnnxGraphBuilder.Attrs(OnnxGraphBuilder.IntAttr("num_heads", s.Heads), OnnxGraphBuilder.IntAttr("kv_num_heads", s.KvHeads),
                OnnxGraphBuilder.IntAttr("do_rotary", 1), OnnxGraphBuilder.IntAttr("rotary_interleaved", 0),
                OnnxGraphBuilder.IntAttr("local_window_size", -1), OnnxGraphBuilder.FloatAttr("scale", 1f / MathF.Sqrt(s.HeadSize)));
            if (s.KvCacheBits == 8)
            {
                // Optional inputs 9-11 (position_ids, attention_bias, head_sink) empty, then k_scale and v_scale.
                inputs = [.. inputs, "", "", "", g.Scalar($"k_scale_{layer}", 0.05f), g.Scalar($"v_scale_{layer}", 0.05f)];
                attributes = OnnxGraphBuilder.Attrs(attributes, OnnxGraphBuilder.IntAttr("kv_cache_bit_width", 8),
                    OnnxGraphBuilder.StringAttr("k_quant_type", "PER_TENSOR"), OnnxGraphBuilder.StringAttr("v_quant_type", "PER_TENSOR"));
            }

            var attn = g.Node("GroupQueryAttention", inputs,
                [$"/model/layers.{layer}/attn/GroupQueryAttention/output_0", $"present.{layer}.key", $"present.{layer}.value"], attributes, Ms)[0];
            g.Output($"present.{layer}.key", cacheType, "batch_size", s.KvHeads, "total_sequence_length", s.HeadSize);
            g.Output($"present.{layer}.value", cacheType, "batch_size", s.KvHeads, "total_sequence_length", s.HeadSize);
            h = g.Node("Add", [h, MatMulNBits(attn, $"/model/layers.{layer}/attn/o_proj/MatMul", Random(rng, e * e, w), e, e)]);
            if (s.MlpSize > 0)
            {
                var up = g.Node("Relu", [MatMulNBits(h, $"/model/layers.{layer}/mlp/up_proj/MatMul", Random(rng, e * s.MlpSize, w), e, s.MlpSize)]);
                h = g.Node("Add", [h, MatMulNBits(up, $"/model/layers.{layer}/mlp/down_proj/MatMul", Random(rng, s.MlpSize * e, 1f / MathF.Sqrt(s.MlpSize)), s.MlpSize, e)]);
            }
        }

        var logits = MatMulNBits(h, "lm_head/MatMul", Random(rng, e * s.Vocab, 4f * w), e, s.Vocab);
        g.Node(s.PrintableOutput ? "Add" : "Identity", s.PrintableOutput ? [logits, PrintableBias(g, s)] : [logits], "logits");
        g.Output("logits", OnnxGraphBuilder.Float, "batch_size", "sequence_length", s.Vocab);
        g.Save(path, externalThreshold: s.ExternalData ? 1024 : null);
    }

    private static float[] Random(Random rng, int n, float scale)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
        }

        return a;
    }

    public static string GenAiConfigJson(TinyDecoderSpec s)
    {
        var inputs = new Dictionary<string, string> { ["input_ids"] = "input_ids", ["attention_mask"] = "attention_mask" };
        var outputs = new Dictionary<string, string> { ["logits"] = "logits" };
        if (s.PositionIds)
        {
            inputs["position_ids"] = "position_ids";
        }

        if (s.Layout == KvCacheLayout.Combined)
        {
            inputs["past_names"] = "past_%d";
            outputs["present_names"] = "present_%d";
        }
        else
        {
            inputs["past_key_names"] = "past_key_values.%d.key";
            inputs["past_value_names"] = "past_key_values.%d.value";
            outputs["present_key_names"] = "present.%d.key";
            outputs["present_value_names"] = "present.%d.value";
        }

        var config = new
        {
            model = new
            {
                type = s.ModelType,
                bos_token_id = EndOfText,
                eos_token_id = new[] { EndOfText, ImEnd },
                pad_token_id = EndOfText,
                vocab_size = s.Vocab,
                context_length = s.ContextLength,
                decoder = new
                {
                    filename = "model.onnx",
                    session_options = new Dictionary<string, object> { ["log_id"] = "compose-tiny", ["provider_options"] = Array.Empty<object>() },
                    head_size = s.HeadSize,
                    hidden_size = s.Hidden,
                    num_attention_heads = s.Heads,
                    num_key_value_heads = s.KvHeads,
                    num_hidden_layers = s.Layers,
                    inputs,
                    outputs,
                },
            },
            search = Search(s),
        };
        return JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true });
    }

    private static Dictionary<string, object> Search(TinyDecoderSpec s)
    {
        var search = new Dictionary<string, object> { ["do_sample"] = false, ["max_length"] = s.ContextLength };
        if (s.PastPresentShareBuffer is { } share)
        {
            search["past_present_share_buffer"] = share;
        }

        return search;
    }

    /// <summary>A byte-level BPE tokenizer.json: the 256 byte tokens, a few merges, and three special tokens.</summary>
    public static string TokenizerJson()
    {
        var alphabet = ByteAlphabet();
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var b = 0; b < 256; b++)
        {
            vocab[alphabet[b].ToString()] = b;
        }

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteStartArray("added_tokens");
            foreach (var (id, content) in new[] { (EndOfText, "<|endoftext|>"), (ImStart, "<|im_start|>"), (ImEnd, "<|im_end|>") })
            {
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteString("content", content);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "ByteLevel");
            w.WriteBoolean("add_prefix_space", false);
            w.WriteBoolean("use_regex", true);
            w.WriteEndObject();
            w.WriteStartObject("decoder");
            w.WriteString("type", "ByteLevel");
            w.WriteEndObject();
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteStartObject("vocab");
            foreach (var (token, id) in vocab)
            {
                w.WriteNumber(token, id);
            }

            w.WriteEndObject();
            w.WriteStartArray("merges");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static char[] ByteAlphabet()
    {
        var chars = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            chars[b] = printable ? (char)b : (char)(256 + n++);
        }

        return chars;
    }
}
