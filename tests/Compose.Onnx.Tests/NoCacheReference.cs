using Compose.Onnx.Config;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Compose.Onnx.Tests;

/// <summary>Greedy decoding that recomputes the whole sequence every step with an empty cache: the reference the cached runner must equal.</summary>
internal static class NoCacheReference
{
    public static List<int> Greedy(OnnxModel model, IReadOnlyList<int> prompt, int newTokens)
    {
        var io = model.Interface;
        var names = model.Config.Names;
        using var session = new InferenceSession(Path.Combine(model.Folder, model.Config.DecoderFile));
        var sequence = prompt.ToList();
        var output = new List<int>();
        for (var step = 0; step < newTokens; step++)
        {
            var n = sequence.Count;
            var values = new List<OrtValue>();
            var inputNames = new List<string>();
            try
            {
                void Add(string name, TensorElementType type, long[] shape, Func<int, long> value)
                {
                    var v = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
                    var count = (int)shape.Aggregate(1L, (a, b) => a * b);
                    for (var i = 0; i < count; i++)
                    {
                        if (type == TensorElementType.Int64)
                        {
                            v.GetTensorMutableDataAsSpan<long>()[i] = value(i);
                        }
                        else
                        {
                            v.GetTensorMutableDataAsSpan<int>()[i] = (int)value(i);
                        }
                    }

                    values.Add(v);
                    inputNames.Add(name);
                }

                Add(names.InputIds, io.IdsType, [1, n], i => sequence[i]);
                if (io.HasAttentionMask)
                {
                    Add(names.AttentionMask, io.MaskType!.Value, [1, n], _ => 1);
                }

                if (io.HasPositionIds)
                {
                    Add(names.PositionIds, io.PositionType!.Value, [1, n], i => i);
                }

                foreach (var past in io.PastNames)
                {
                    long[] shape = io.Layout == KvCacheLayout.Combined ? [2, 1, io.KeyValueHeads, 0, io.HeadSize] : [1, io.KeyValueHeads, 0, io.HeadSize];
                    values.Add(OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, io.CacheType, shape));
                    inputNames.Add(past);
                }

                using var outputs = session.Run(new RunOptions(), inputNames, values, [names.Logits]);
                var shapeOut = outputs[0].GetTensorTypeAndShape().Shape;
                var vocab = (int)shapeOut[2];
                var last = io.LogitsType == TensorElementType.Float16
                    ? [.. outputs[0].GetTensorDataAsSpan<Float16>().Slice((int)((shapeOut[1] - 1) * vocab), vocab).ToArray().Select(h => (float)h)]
                    : outputs[0].GetTensorDataAsSpan<float>().Slice((int)((shapeOut[1] - 1) * vocab), vocab).ToArray();
                var best = 0;
                for (var i = 1; i < vocab; i++)
                {
                    if (last[i] > last[best])
                    {
                        best = i;
                    }
                }

                output.Add(best);
                sequence.Add(best);
            }
            finally
            {
                foreach (var v in values)
                {
                    v.Dispose();
                }
            }
        }

        return output;
    }
}
