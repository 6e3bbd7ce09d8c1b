namespace Compose.Onnx.TestKit;

/// <summary>
/// Blockwise symmetric 4-bit quantization of a [K, N] weight in com.microsoft MatMulNBits' layout: for each output
/// column n and each block of <c>blockSize</c> input features, one scale (the block's largest magnitude / 7) and the
/// values round(w / scale) + 8 in 0..15 (the operator's default zero point is 8, so no zero points are stored), two to a
/// byte, the earlier feature in the low nibble. B is [N, blocks, blockSize / 2], scales [N, blocks]; a last partial
/// block is padded with zeros.
/// </summary>
public static class Int4Weights
{
    public sealed record Quantized(byte[] Packed, float[] Scales, int Blocks, float[] Dequantized);

    /// <param name="weights">Row-major [k, n]: input feature, then output feature.</param>
    public static Quantized Quantize(float[] weights, int k, int n, int blockSize)
    {
        if (blockSize < 16 || (blockSize & (blockSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), "MatMulNBits' block size is a power of two, at least 16.");
        }

        if (weights.Length != k * n)
        {
            throw new ArgumentException($"Expected {k * n} weights, not {weights.Length}.", nameof(weights));
        }

        var blocks = (k + blockSize - 1) / blockSize;
        var blob = blockSize / 2;
        var packed = new byte[n * blocks * blob];
        var scales = new float[n * blocks];
        var dequantized = new float[k * n];
        for (var col = 0; col < n; col++)
        {
            for (var b = 0; b < blocks; b++)
            {
                var first = b * blockSize;
                var end = Math.Min(k, first + blockSize);
                var max = 0f;
                for (var r = first; r < end; r++)
                {
                    max = Math.Max(max, Math.Abs(weights[(r * n) + col]));
                }

                var scale = max / 7f;
                scales[(col * blocks) + b] = scale;
                for (var i = 0; i < blockSize; i++)
                {
                    var r = first + i;
                    var q = 8;
                    if (r < end && scale > 0)
                    {
                        q = Math.Clamp((int)MathF.Round(weights[(r * n) + col] / scale), -8, 7) + 8;
                    }

                    if (r < end)
                    {
                        dequantized[(r * n) + col] = (q - 8) * scale;
                    }

                    var at = (((col * blocks) + b) * blob) + (i / 2);
                    packed[at] |= (byte)(i % 2 == 0 ? q : q << 4);
                }
            }
        }

        return new Quantized(packed, scales, blocks, dequantized);
    }
}
