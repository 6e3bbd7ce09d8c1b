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
    private float[] _keys = [];

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

    /// <summary>
    /// Picks the next token among <paramref name="allowed"/> only (a constraint's mask: every other token's
    /// probability is zero): the most likely allowed token when greedy, else a draw from the allowed tokens'
    /// probabilities at the temperature (top-k and top-p do not apply to a mask this small). The log-probability
    /// returned is the chosen token's under the model's unmasked distribution, as <see cref="Next"/> reports it.
    /// </summary>
    public int NextAmong(ReadOnlySpan<float> logits, ReadOnlySpan<int> allowed, out float logProb)
    {
        if (allowed.IsEmpty)
        {
            throw new ArgumentException("At least one token must be allowed.", nameof(allowed));
        }

        var best = allowed[0];
        foreach (var t in allowed)
        {
            if (logits[t] > logits[best])
            {
                best = t;
            }
        }

        var token = best;
        if (!_settings.IsGreedy && allowed.Length > 1)
        {
            var invT = 1f / _settings.Temperature;
            var total = 0.0;
            foreach (var t in allowed)
            {
                total += Math.Exp((logits[t] - logits[best]) * invT);
            }

            var r = _random.NextDouble() * total;
            foreach (var t in allowed)
            {
                r -= Math.Exp((logits[t] - logits[best]) * invT);
                token = t;
                if (r < 0)
                {
                    break;
                }
            }
        }

        logProb = LogSoftmaxAt(logits, token);
        return token;
    }

    /// <summary>
    /// The <paramref name="k"/> most likely tokens under <paramref name="logits"/> with their log-probabilities (log-softmax
    /// at temperature 1, as <see cref="Next"/> reports), most likely first (the lower id first on a tie).
    /// </summary>
    public TokenChoice[] Top(ReadOnlySpan<float> logits, int k)
    {
        k = Math.Clamp(k, 0, logits.Length);
        if (k == 0)
        {
            return [];
        }

        var max = TensorPrimitives.Max(logits);
        EnsureScratch(logits.Length);
        var s = _scratch.AsSpan(0, logits.Length);
        TensorPrimitives.Subtract(logits, max, s);
        TensorPrimitives.Exp(s, s);
        var logSum = max + MathF.Log(TensorPrimitives.Sum<float>(s));
        var ids = new int[k];
        SelectTopK(logits, ids);
        var top = new TokenChoice[k];
        for (var i = 0; i < k; i++)
        {
            top[i] = new TokenChoice(ids[i], logits[ids[i]] - logSum);
        }

        Array.Sort(top, static (a, b) => a.LogProb != b.LogProb ? b.LogProb.CompareTo(a.LogProb) : a.Id.CompareTo(b.Id));
        return top;
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
            _keys = new float[v];
        }

        // Unnormalized probabilities at the temperature: over all tokens (vectorized) or the top k.
        var idx = _indices.AsSpan(0, k);
        var w = _weights.AsSpan(0, k);
        var invT = 1f / _settings.Temperature;
        if (k == v)
        {
            TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), w);
            TensorPrimitives.Multiply(w, invT, w);
            TensorPrimitives.Exp(w, w);
            for (var i = 0; i < v; i++)
            {
                idx[i] = i;
            }
        }
        else
        {
            SelectTopK(logits, idx);
            var max = float.NegativeInfinity;
            foreach (var i in idx)
            {
                max = Math.Max(max, logits[i]);
            }

            for (var j = 0; j < k; j++)
            {
                w[j] = MathF.Exp((logits[idx[j]] - max) * invT);
            }
        }

        var total = TensorPrimitives.Sum<float>(w);
        var floor = 0f;
        if (_settings.TopP is > 0f and < 1f)
        {
            floor = TopPThreshold(w, _settings.TopP * total);
            total = 0f;
            foreach (var x in w)
            {
                total += x >= floor ? x : 0f;
            }
        }

        // Draw among the kept candidates (weight at or above the floor) in index order.
        var r = (float)(_random.NextDouble() * total);
        var last = -1;
        for (var j = 0; j < k; j++)
        {
            if (w[j] < floor)
            {
                continue;
            }

            last = j;
            r -= w[j];
            if (r < 0f)
            {
                return idx[j];
            }
        }

        return idx[last];
    }

    /// <summary>
    /// The weight of the least likely token in the smallest set of most likely tokens whose mass reaches
    /// <paramref name="target"/>: a quickselect over a copy of the weights, so nothing is fully sorted.
    /// </summary>
    private float TopPThreshold(ReadOnlySpan<float> w, float target)
    {
        // Usually the nucleus lies among the tokens within a factor 1e4 of the most likely one: select among
        // those only (everything left out is less likely than everything kept, so the answer is the same).
        var cutoff = TensorPrimitives.Max(w) * 1e-4f;
        var m = 0;
        var mass = 0f;
        foreach (var x in w)
        {
            if (x >= cutoff)
            {
                _keys[m++] = x;
                mass += x;
            }
        }

        if (mass < target)
        {
            w.CopyTo(_keys);
            m = w.Length;
        }

        var keys = _keys.AsSpan(0, m);
        int lo = 0, hi = keys.Length;
        var above = 0f; // mass of the tokens already known to be kept (moved before lo)
        while (hi - lo > 1)
        {
            var pivot = keys[lo + ((hi - lo) / 2)];

            // Three-way partition of keys[lo..hi): greater | equal | smaller.
            int gt = lo, i = lo, lt = hi;
            float greater = 0f, equal = 0f;
            while (i < lt)
            {
                var x = keys[i];
                if (x > pivot)
                {
                    greater += x;
                    (keys[gt], keys[i]) = (keys[i], keys[gt]);
                    gt++;
                    i++;
                }
                else if (x < pivot)
                {
                    lt--;
                    (keys[lt], keys[i]) = (keys[i], keys[lt]);
                }
                else
                {
                    equal += x;
                    i++;
                }
            }

            if (above + greater >= target)
            {
                hi = gt;
            }
            else if (above + greater + equal >= target)
            {
                return pivot;
            }
            else
            {
                above += greater + equal;
                lo = lt;
            }
        }

        return lo < keys.Length ? keys[lo] : 0f;
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
