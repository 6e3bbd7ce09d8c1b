using System.Numerics.Tensors;

namespace Compose.Onnx.Generation;

/// <summary>
/// Chooses tokens from logits for one sequence (greedy, or temperature / top-k / top-p with a seeded
/// generator) and reports the chosen token's log-probability under the model's distribution
/// (log-softmax of the raw logits, i.e. at temperature 1). Reuses its buffers between tokens.
/// </summary>
public sealed class TokenSampler
{
    private readonly SamplingSettings _settings;
    private readonly Random _random;
    private float[] _scratch = [];
    private int[] _indices = [];
    private float[] _weights = [];

    public TokenSampler(SamplingSettings settings)
    {
        _settings = settings;
        _random = settings.Seed is { } s ? new Random(unchecked((int)(s ^ (s >> 32)))) : new Random();
    }

    /// <summary>Picks the next token and returns its log-probability.</summary>
    public int Next(ReadOnlySpan<float> logits, out float logProb)
    {
        var token = _settings.IsGreedy ? TensorPrimitives.IndexOfMax(logits) : Draw(logits);
        logProb = LogSoftmaxAt(logits, token);
        return token;
    }

    /// <summary>log softmax(logits)[index], computed stably.</summary>
    public float LogSoftmaxAt(ReadOnlySpan<float> logits, int index)
    {
        EnsureScratch(logits.Length);
        var max = TensorPrimitives.Max(logits);
        var s = _scratch.AsSpan(0, logits.Length);
        TensorPrimitives.Subtract(logits, max, s);
        TensorPrimitives.Exp(s, s);
        var sum = TensorPrimitives.Sum<float>(s);
        return logits[index] - max - MathF.Log(sum);
    }

    private int Draw(ReadOnlySpan<float> logits)
    {
        var v = logits.Length;
        var k = _settings.TopK > 0 && _settings.TopK < v ? _settings.TopK : v;
        if (_indices.Length < v)
        {
            _indices = new int[v];
            _weights = new float[v];
        }

        var idx = _indices.AsSpan(0, k);
        if (k == v)
        {
            for (var i = 0; i < v; i++)
            {
                idx[i] = i;
            }
        }
        else
        {
            SelectTopK(logits, idx);
        }

        // Softmax at the temperature over the candidates.
        var w = _weights.AsSpan(0, k);
        var max = float.NegativeInfinity;
        foreach (var i in idx)
        {
            max = Math.Max(max, logits[i]);
        }

        var t = _settings.Temperature;
        for (var j = 0; j < k; j++)
        {
            w[j] = MathF.Exp((logits[idx[j]] - max) / t);
        }

        var n = k;
        var total = TensorPrimitives.Sum<float>(w);
        if (_settings.TopP is > 0f and < 1f)
        {
            // Most likely first; keep the shortest prefix whose mass reaches p.
            w.Sort(idx, static (a, b) => b.CompareTo(a));
            var target = _settings.TopP * total;
            var cumulative = 0f;
            n = 0;
            while (n < k)
            {
                cumulative += w[n++];
                if (cumulative >= target)
                {
                    break;
                }
            }

            total = cumulative;
        }

        var r = (float)(_random.NextDouble() * total);
        for (var j = 0; j < n; j++)
        {
            r -= w[j];
            if (r < 0f)
            {
                return idx[j];
            }
        }

        return idx[n - 1];
    }

    /// <summary>Fills <paramref name="dest"/> with the indices of the largest logits (a min-heap on the k best).</summary>
    private static void SelectTopK(ReadOnlySpan<float> logits, Span<int> dest)
    {
        var k = dest.Length;
        for (var i = 0; i < k; i++)
        {
            dest[i] = i;
            SiftUp(logits, dest, i);
        }

        for (var i = k; i < logits.Length; i++)
        {
            if (logits[i] > logits[dest[0]])
            {
                dest[0] = i;
                SiftDown(logits, dest, 0, k);
            }
        }
    }

    private static void SiftUp(ReadOnlySpan<float> l, Span<int> h, int i)
    {
        while (i > 0)
        {
            var p = (i - 1) / 2;
            if (l[h[i]] >= l[h[p]])
            {
                return;
            }

            (h[i], h[p]) = (h[p], h[i]);
            i = p;
        }
    }

    private static void SiftDown(ReadOnlySpan<float> l, Span<int> h, int i, int n)
    {
        while (true)
        {
            var c = (2 * i) + 1;
            if (c >= n)
            {
                return;
            }

            if (c + 1 < n && l[h[c + 1]] < l[h[c]])
            {
                c++;
            }

            if (l[h[i]] <= l[h[c]])
            {
                return;
            }

            (h[i], h[c]) = (h[c], h[i]);
            i = c;
        }
    }

    private void EnsureScratch(int n)
    {
        if (_scratch.Length < n)
        {
            _scratch = new float[n];
        }
    }
}
