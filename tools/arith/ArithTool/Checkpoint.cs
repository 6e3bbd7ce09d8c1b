using System.Text.Json;

namespace Compose.Tools.Arith;

/// <summary>The weights train.py dumps: manifest.json (config and tensor table) and weights.bin (little-endian float32).</summary>
internal sealed record Checkpoint(int Hidden, int Layers, int Heads, int Mlp, int Context, int Vocab, IReadOnlyDictionary<string, (long[] Shape, float[] Data)> Tensors)
{
    public static Checkpoint Load(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "manifest.json")));
        var config = doc.RootElement.GetProperty("config");
        var bytes = File.ReadAllBytes(Path.Combine(folder, "weights.bin"));
        var tensors = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var t in doc.RootElement.GetProperty("tensors").EnumerateArray())
        {
            var shape = t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var count = (int)shape.Aggregate(1L, (a, b) => a * b);
            var offset = t.GetProperty("offset").GetInt32();
            var data = new float[count];
            Buffer.BlockCopy(bytes, offset, data, 0, count * sizeof(float));
            tensors[t.GetProperty("name").GetString()!] = (shape, data);
        }

        int C(string name) => config.GetProperty(name).GetInt32();
        return new Checkpoint(C("hidden"), C("layers"), C("heads"), C("mlp"), C("context"), C("vocab"), tensors);
    }

    public float[] this[string name] => Tensors.TryGetValue(name, out var t) ? t.Data : throw new InvalidDataException($"The checkpoint has no tensor '{name}'.");

    /// <summary>A PyTorch Linear weight [out, in] transposed to the [in, out] matrix that MatMul wants.</summary>
    public float[] Transposed(string name)
    {
        var (shape, data) = Tensors[name];
        int rows = (int)shape[0], cols = (int)shape[1];
        var t = new float[data.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = data[(r * cols) + c];
            }
        }

        return t;
    }
}
