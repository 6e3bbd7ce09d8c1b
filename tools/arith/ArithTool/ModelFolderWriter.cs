using Compose.Onnx.Config;
using Compose.Onnx.TestKit;

namespace Compose.Tools.Arith;

/// <summary>
/// Writes an ONNX Runtime GenAI model folder (llama layout: separate key/value cache, position_ids, int64 ids)
/// from a train.py checkpoint: token + learned position embeddings, pre-LayerNorm attention and ReLU MLP
/// blocks, final LayerNorm, lm_head; byte-level tokenizer.json and a ChatML tokenizer_config.json.
/// The graph computes exactly what train.py's Decoder computes.
/// </summary>
internal static class ModelFolderWriter
{
    public static void Write(Checkpoint ck, string folder, string name)
    {
        if (ck.Vocab != TinyDecoderWriter.ImEnd + 1)
        {
            throw new InvalidDataException($"Expected the byte vocabulary of {TinyDecoderWriter.ImEnd + 1} tokens, got {ck.Vocab}.");
        }

        Directory.CreateDirectory(folder);
        var spec = new TinyDecoderSpec
        {
            Layers = ck.Layers,
            Heads = ck.Heads,
            HeadSize = ck.Hidden / ck.Heads,
            MlpSize = ck.Mlp,
            Vocab = ck.Vocab,
            ContextLength = ck.Context,
            Layout = KvCacheLayout.Separate,
        };
        WriteGraph(ck, spec, Path.Combine(folder, "model.onnx"));
        File.WriteAllText(Path.Combine(folder, "genai_config.json"), TinyDecoderWriter.GenAiConfigJson(spec).Replace("compose-tiny", name, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TinyDecoderWriter.TokenizerJson());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n", "eos_token": "<|im_end|>"}""");
    }

    private static void WriteGraph(Checkpoint ck, TinyDecoderSpec s, string path)
    {
        var g = new OnnxGraphBuilder();
        var e = ck.Hidden;
        g.Input("input_ids", OnnxGraphBuilder.Int64, "batch", "seq");
        g.Input("attention_mask", OnnxGraphBuilder.Int64, "batch", "total");
        g.Input("position_ids", OnnxGraphBuilder.Int64, "batch", "seq");

        var embed = g.Weights("embed", ck["embed.weight"], ck.Vocab, e);
        var posEmbed = g.Weights("pos_embed", ck["pos.weight"], ck.Context, e);
        var one = g.Longs("one_i64", [1], []);
        var axis1 = g.Longs("axis1", [1], []);
        var headShape = g.Longs("head_shape", [0, 0, s.Heads, s.HeadSize]);
        var hiddenShape = g.Longs("hidden_shape", [0, 0, e]);
        var scale = g.Scalar("scale", 1f / MathF.Sqrt(s.HeadSize));
        var big = g.Scalar("big", 1e9f);
        var negBig = g.Scalar("neg_big", -1e9f);
        var oneF = g.Scalar("one_f", 1f);

        // Positions: the runner's position_ids for the queries, cumsum(mask) - 1 for the keys; both clamped into the table.
        var mask = g.Node("Cast", ["attention_mask"], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Int64));
        var kpos = g.Node("Sub", [g.Node("CumSum", [mask, axis1]), one]);
        var qpos = g.Node("Max", [g.Node("Min", ["position_ids", g.Longs("last_pos", [ck.Context - 1], [])]), g.Longs("zero_i64", [0], [])]);
        var h = g.Node("Add", [
            g.Node("Gather", [embed, "input_ids"], attributes: OnnxGraphBuilder.IntAttr("axis", 0)),
            g.Node("Gather", [posEmbed, qpos], attributes: OnnxGraphBuilder.IntAttr("axis", 0))]);

        // Attention bias [batch, 1, seq, total]: -1e9 on padding and on keys after the query's position.
        var maskF = g.Node("Cast", [mask], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float));
        var padBias = g.Node("Unsqueeze", [g.Node("Mul", [g.Node("Sub", [maskF, oneF]), big]), g.Longs("ax12", [1, 2])]);
        var future = g.Node("Greater", [g.Node("Unsqueeze", [kpos, g.Longs("ax12b", [1, 2])]), g.Node("Unsqueeze", [qpos, g.Longs("ax13", [1, 3])])]);
        var causal = g.Node("Mul", [g.Node("Cast", [future], attributes: OnnxGraphBuilder.IntAttr("to", OnnxGraphBuilder.Float)), negBig]);
        var bias = g.Node("Add", [causal, padBias]);

        string Norm(string input, string prefix) =>
            g.Node("LayerNormalization", [input, g.Weights($"{prefix}.w", ck[$"{prefix}.weight"], e), g.Weights($"{prefix}.b", ck[$"{prefix}.bias"], e)]);

        string Linear(string input, string name, int rows, int cols, bool bias)
        {
            var y = g.Node("MatMul", [input, g.Weights($"{name}.wt", ck.Transposed($"{name}.weight"), rows, cols)]);
            return bias ? g.Node("Add", [y, g.Weights($"{name}.b", ck[$"{name}.bias"], cols)]) : y;
        }

        for (var layer = 0; layer < ck.Layers; layer++)
        {
            var p = $"blocks.{layer}";
            var pastK = $"past_key_values.{layer}.key";
            var pastV = $"past_key_values.{layer}.value";
            g.Input(pastK, OnnxGraphBuilder.Float, "batch", s.Heads, "past", s.HeadSize);
            g.Input(pastV, OnnxGraphBuilder.Float, "batch", s.Heads, "past", s.HeadSize);

            var x = Norm(h, $"{p}.ln1");
            string Heads(string name) =>
                g.Node("Transpose", [g.Node("Reshape", [Linear(x, $"{p}.{name}", e, e, bias: false), headShape])], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 2, 1, 3));

            var q = Heads("wq");
            var kAll = g.Node("Concat", [pastK, Heads("wk")], $"present.{layer}.key", OnnxGraphBuilder.IntAttr("axis", 2));
            var vAll = g.Node("Concat", [pastV, Heads("wv")], $"present.{layer}.value", OnnxGraphBuilder.IntAttr("axis", 2));
            g.Output(kAll, OnnxGraphBuilder.Float, "batch", s.Heads, "total", s.HeadSize);
            g.Output(vAll, OnnxGraphBuilder.Float, "batch", s.Heads, "total", s.HeadSize);

            var scores = g.Node("MatMul", [q, g.Node("Transpose", [kAll], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 1, 3, 2))]);
            var probs = g.Node("Softmax", [g.Node("Add", [g.Node("Mul", [scores, scale]), bias])], attributes: OnnxGraphBuilder.IntAttr("axis", -1));
            var ctx = g.Node("Transpose", [g.Node("MatMul", [probs, vAll])], attributes: OnnxGraphBuilder.IntsAttr("perm", 0, 2, 1, 3));
            h = g.Node("Add", [h, Linear(g.Node("Reshape", [ctx, hiddenShape]), $"{p}.wo", e, e, bias: false)]);

            var up = g.Node("Relu", [Linear(Norm(h, $"{p}.ln2"), $"{p}.w1", e, ck.Mlp, bias: true)]);
            h = g.Node("Add", [h, Linear(up, $"{p}.w2", ck.Mlp, e, bias: true)]);
        }

        var logits = g.Node("MatMul", [Norm(h, "ln_f"), g.Weights("lm_head.wt", ck.Transposed("lm_head.weight"), e, ck.Vocab)], "logits");
        g.Output(logits, OnnxGraphBuilder.Float, "batch", "seq", ck.Vocab);
        g.Save(path);
    }
}
