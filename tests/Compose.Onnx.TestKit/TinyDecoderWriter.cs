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
        var posEmbed = g.Weights("pos_embed", Random(rng, s.ContextLength * e, 0.5f), s.ContextLength, e);
        var one = g.Longs("one_i64", [1], []);
        var zero = g.Longs("zero_i64", [0], []);
        var axis1 = g.Longs("axis1", [1], []);
        var headShape = g.Longs("head_shape", [0, 0, s.Heads, s.HeadSize]);
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
        var h = g.Node("Add", [x, g.Node("Gather", [posEmbed, qpos], attributes: OnnxGraphBuilder.IntAttr("axis", 0))]);

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
                g.Input($"past_{layer}", cacheType, 2, "batch", s.Heads, "past", s.HeadSize);
                pastK = g.Node("Gather", [$"past_{layer}", g.Longs($"i0_{layer}", [0], [])], attributes: OnnxGraphBuilder.IntAttr("axis", 0));
                pastV = g.Node("Gather", [$"past_{layer}", g.Longs($"i1_{layer}", [1], [])], attributes: OnnxGraphBuilder.IntAttr("axis", 0));
            }
            else
            {
                g.Input($"past_key_values.{layer}.key", cacheType, "batch", s.Heads, "past", s.HeadSize);
                g.Input($"past_key_values.{layer}.value", cacheType, "batch", s.Heads, "past", s.HeadSize);
                pastK = $"past_key_values.{layer}.key";
                pastV = $"past_key_values.{layer}.value";
            }

            if (s.Float16Cache)
            {
                pastK = g.Node("Cast", [pastK], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float));
                pastV = g.Node("Cast", [pastV], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float));
            }

            string Heads(string name)
            {
                var proj = g.Node("MatMul", [h, g.Weights($"{name}_{layer}", Random(rng, e * e, w), e, e)]);
                return g.Node("Transpose", [g.Node("Reshape", [proj, headShape])], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 2, 1, 3));
            }

            var q = Heads("wq");
            var kAll = g.Node("Concat", [pastK, Heads("wk")], attributes: OnnxGraphBuilder.IntAttr("axis", 2));
            var vAll = g.Node("Concat", [pastV, Heads("wv")], attributes: OnnxGraphBuilder.IntAttr("axis", 2));
            var scores = g.Node("MatMul", [q, g.Node("Transpose", [kAll], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 1, 3, 2))]);
            var probs = g.Node("Softmax", [g.Node("Add", [g.Node("Mul", [scores, scale]), bias])], attributes: OnnxGraphBuilder.IntAttr("axis", -1));
            var ctx = g.Node("Transpose", [g.Node("MatMul", [probs, vAll])], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 2, 1, 3));
            var attn = g.Node("MatMul", [g.Node("Reshape", [ctx, hiddenShape]), g.Weights($"wo_{layer}", Random(rng, e * e, w), e, e)]);
            h = g.Node("Add", [h, attn]);
            if (s.MlpSize > 0)
            {
                var up = g.Node("Relu", [g.Node("MatMul", [h, g.Weights($"w1_{layer}", Random(rng, e * s.MlpSize, w), e, s.MlpSize)])]);
                h = g.Node("Add", [h, g.Node("MatMul", [up, g.Weights($"w2_{layer}", Random(rng, s.MlpSize * e, 1f / MathF.Sqrt(s.MlpSize)), s.MlpSize, e)])]);
            }

            string Present(string value, string name) =>
                s.Float16Cache ? g.Node("Cast", [value], name, OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float16)) : g.Node("Identity", [value], name);

            if (combined)
            {
                var both = g.Node("Concat", [g.Node("Unsqueeze", [kAll, g.Longs($"ax0k_{layer}", [0])]), g.Node("Unsqueeze", [vAll, g.Longs($"ax0v_{layer}", [0])])],
                    attributes: OnnxGraphBuilder.IntAttr("axis", 0));
                Present(both, $"present_{layer}");
                g.Output($"present_{layer}", cacheType, 2, "batch", s.Heads, "total", s.HeadSize);
            }
            else
            {
                Present(kAll, $"present.{layer}.key");
                Present(vAll, $"present.{layer}.value");
                g.Output($"present.{layer}.key", cacheType, "batch", s.Heads, "total", s.HeadSize);
                g.Output($"present.{layer}.value", cacheType, "batch", s.Heads, "total", s.HeadSize);
            }
        }

        var named = s.Float16Logits || s.PrintableOutput ? null : "logits";
        var logits = g.Node("MatMul", [h, g.Weights("lm_head", Random(rng, e * s.Vocab, 4f * w), e, s.Vocab)], named);
        if (s.PrintableOutput)
        {
            // -1e4 on every token but printable ASCII and the newline: the model writes text that re-encodes to its own tokens.
            var printable = new float[s.Vocab];
            for (var i = 0; i < printable.Length; i++)
            {
                printable[i] = i is (>= 0x20 and <= 0x7E) or 10 ? 0f : -1e4f;
            }

            logits = g.Node("Add", [logits, g.Weights("printable_bias", printable, s.Vocab)], s.Float16Logits ? null : "logits");
        }

        if (s.Float16Logits)
        {
            g.Node("Cast", [logits], "logits", OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float16));
        }

        g.Output("logits", s.Float16Logits ? OnnxGraphBuilder.Float16 : OnnxGraphBuilder.Float, "batch", "seq", s.Vocab);
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
                    num_key_value_heads = s.Heads,
                    num_hidden_layers = s.Layers,
                    inputs,
                    outputs,
                },
            },
            search = new { do_sample = false, max_length = s.ContextLength },
        };
        return JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true });
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
