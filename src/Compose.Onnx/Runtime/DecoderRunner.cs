using System.Diagnostics;
using Compose.Onnx.Config;
using Compose.Onnx.Generation;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Compose.Onnx.Runtime;

/// <summary>
/// Drives the decoder graph for one batch of sequences: prefills each distinct prompt once (left-padded),
/// copies its cache to every sequence that shares it, then decodes one token per step for all live
/// sequences. The cache is whatever the previous step returned (it grows by one position per step);
/// finished sequences leave the batch. Runs on one thread at a time.
/// </summary>
internal sealed class DecoderRunner
{
    private readonly InferenceSession _session;
    private readonly GenAiConfig _config;
    private readonly DecoderInterface _io;
    private readonly RunStatistics _stats;
    private readonly string _file;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OrtValue[] _inputValues;
    private readonly HashSet<int> _eos;
    private readonly RunOptions _runOptions = new();
    private readonly int _padId;
    private float[] _logitScratch = [];

    public DecoderRunner(InferenceSession session, GenAiConfig config, DecoderInterface io, RunStatistics stats, string file)
    {
        _session = session;
        _config = config;
        _io = io;
        _stats = stats;
        _file = file;
        var names = new List<string> { config.Names.InputIds };
        if (io.HasAttentionMask)
        {
            names.Add(config.Names.AttentionMask);
        }

        if (io.HasPositionIds)
        {
            names.Add(config.Names.PositionIds);
        }

        names.AddRange(io.PastNames);
        _inputNames = [.. names];
        _inputValues = new OrtValue[_inputNames.Length];
        _outputNames = [config.Names.Logits, .. io.PresentNames];
        _eos = [.. config.EosTokenIds];

        // Padding is masked out, but it must still be a valid index for the embedding.
        _padId = config.PadTokenId >= 0 && config.PadTokenId < (io.VocabSize ?? int.MaxValue) ? config.PadTokenId : 0;
    }

    /// <summary>
    /// Generates <paramref name="batch"/> to completion. Between steps, <paramref name="join"/> (if given) is asked
    /// for more waiting sequences (at most the free slots); they are prefilled and merged into the running batch.
    /// </summary>
    public void Run(IReadOnlyList<SequenceState> batch, int maxBatch = int.MaxValue, Func<int, IReadOnlyList<SequenceState>>? join = null)
    {
        var all = new List<SequenceState>(batch);
        IDisposable? owner = null;
        var start = Stopwatch.GetTimestamp();
        try
        {
            owner = Generate(batch, all, maxBatch, join);
        }
        catch (OnnxRuntimeException e)
        {
            var error = OnnxErrors.Fail(OnnxErrors.RunFailed, _file, $"ONNX Runtime failed while generating: {e.Message.Split('\n')[0]}",
                "The decoder does not behave like its genai_config.json describes (shapes or names); re-export the model.");
            foreach (var s in all)
            {
                s.Completion.TrySetException(error);
            }
        }
        catch (Exception e)
        {
            foreach (var s in all)
            {
                s.Completion.TrySetException(e);
            }
        }
        finally
        {
            owner?.Dispose();
            _stats.AddBatchTime(Stopwatch.GetTimestamp() - start);
        }
    }

    private IDisposable? Generate(IReadOnlyList<SequenceState> batch, List<SequenceState> all, int maxBatch, Func<int, IReadOnlyList<SequenceState>>? join)
    {
        var (outputs, total, live, liveRows) = Prefill(batch);
        IDisposable owner = outputs;
        var cache = Presents(outputs);
        var cacheRows = liveRows.Count == 0 ? 0 : liveRows.Max() + 1;
        while (true)
        {
            if (join is not null && live.Count < maxBatch && join(maxBatch - live.Count) is { Count: > 0 } more)
            {
                all.AddRange(more);
                if (live.Count != cacheRows || !IsIdentity(liveRows))
                {
                    var selected = SelectRows(cache, liveRows);
                    owner.Dispose();
                    owner = selected;
                    cache = (OrtValue[])selected.Values.Clone();
                }

                var (joinOutputs, joinTotal, joinLive, joinRows) = Prefill(more);
                var merged = Merge(cache, live, total, Presents(joinOutputs), joinLive, joinRows, joinTotal);
                owner.Dispose();
                joinOutputs.Dispose();
                owner = merged;
                cache = (OrtValue[])merged.Values.Clone();
                total = Math.Max(total, joinTotal);
                live.AddRange(joinLive);
                liveRows = [.. Enumerable.Range(0, live.Count)];
                cacheRows = live.Count;
            }

            if (live.Count == 0)
            {
                break;
            }

            if (live.Count != cacheRows || !IsIdentity(liveRows))
            {
                var selected = SelectRows(cache, liveRows);
                owner.Dispose();
                owner = selected;
                cache = (OrtValue[])selected.Values.Clone();
            }

            var a = live.Count;
            total++;
            using (var ids = Allocate(_io.IdsType, a, 1))
            using (var mask = _io.HasAttentionMask ? Allocate(_io.MaskType!.Value, a, total) : null)
            using (var pos = _io.HasPositionIds ? Allocate(_io.PositionType!.Value, a, 1) : null)
            {
                for (var r = 0; r < a; r++)
                {
                    var s = live[r];
                    Write(ids, _io.IdsType, r, s.LastToken);
                    if (pos is not null)
                    {
                        Write(pos, _io.PositionType!.Value, r, total - 1 - s.Pad);
                    }
                }

                if (mask is not null)
                {
                    FillMask(mask, live, total);
                }

                outputs = RunSession(ids, mask, pos, cache);
            }

            owner.Dispose();
            owner = outputs;
            for (var i = 0; i < cache.Length; i++)
            {
                cache[i] = outputs[i + 1];
            }

            cacheRows = a;
            var next = new List<SequenceState>(a);
            liveRows.Clear();
            var shape = LogitsShape(outputs[0]);
            for (var r = 0; r < a; r++)
            {
                var s = live[r];
                var logits = LogitsRow(outputs[0], shape, r);
                if (Accept(s, s.Sampler.Next(logits, out var lp), lp, total))
                {
                    next.Add(s);
                    liveRows.Add(r);
                }
            }

            live = next;
        }

        return owner;
    }

    /// <summary>
    /// Runs the prompts of <paramref name="batch"/> (each distinct prompt once, left-padded to the longest) and samples
    /// every sequence's first token. Returns the outputs (logits and cache), the padded length, the sequences still
    /// going and, for each, its row in the returned cache.
    /// </summary>
    private (IDisposableReadOnlyCollection<OrtValue> Outputs, int Length, List<SequenceState> Live, List<int> Rows) Prefill(IReadOnlyList<SequenceState> batch)
    {
        var prompts = new List<IReadOnlyList<int>>();
        var group = new int[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var p = batch[i].Request.PromptIds;
            var g = prompts.FindIndex(q => q.Count == p.Count && q.SequenceEqual(p));
            if (g < 0)
            {
                g = prompts.Count;
                prompts.Add(p);
            }

            group[i] = g;
        }

        var u = prompts.Count;
        var length = prompts.Max(p => p.Count);
        var pads = prompts.Select(p => length - p.Count).ToArray();
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Pad = pads[group[i]];
        }

        IDisposableReadOnlyCollection<OrtValue> outputs;
        using (var ids = Allocate(_io.IdsType, u, length))
        using (var mask = _io.HasAttentionMask ? Allocate(_io.MaskType!.Value, u, length) : null)
        using (var pos = _io.HasPositionIds ? Allocate(_io.PositionType!.Value, u, length) : null)
        {
            for (var r = 0; r < u; r++)
            {
                for (var t = 0; t < length; t++)
                {
                    var real = t >= pads[r];
                    var at = (r * length) + t;
                    Write(ids, _io.IdsType, at, real ? prompts[r][t - pads[r]] : _padId);
                    if (mask is not null)
                    {
                        Write(mask, _io.MaskType!.Value, at, real ? 1 : 0);
                    }

                    if (pos is not null)
                    {
                        Write(pos, _io.PositionType!.Value, at, real ? t - pads[r] : 0);
                    }
                }
            }

            var empty = new OrtValue[_io.PastNames.Length];
            try
            {
                for (var i = 0; i < empty.Length; i++)
                {
                    empty[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, _io.CacheType, CacheShape(u, 0));
                }

                outputs = RunSession(ids, mask, pos, empty);
            }
            finally
            {
                foreach (var e in empty)
                {
                    e?.Dispose();
                }
            }
        }

        _stats.AddBatch(u);
        var live = new List<SequenceState>(batch.Count);
        var rows = new List<int>(batch.Count);
        try
        {
            var shape = LogitsShape(outputs[0]);
            for (var i = 0; i < batch.Count; i++)
            {
                var s = batch[i];
                var logits = LogitsRow(outputs[0], shape, group[i]);
                if (Accept(s, s.Sampler.Next(logits, out var lp), lp, length))
                {
                    live.Add(s);
                    rows.Add(group[i]);
                }
            }
        }
        catch
        {
            outputs.Dispose();
            throw;
        }

        return (outputs, length, live, rows);
    }

    private OrtValue[] Presents(IDisposableReadOnlyCollection<OrtValue> outputs)
    {
        var cache = new OrtValue[_io.PresentNames.Length];
        for (var i = 0; i < cache.Length; i++)
        {
            cache[i] = outputs[i + 1];
        }

        return cache;
    }

    /// <summary>
    /// One cache holding the running rows (<paramref name="a"/>, rows 0..n-1 of <paramref name="cacheA"/>, length
    /// <paramref name="lengthA"/>) followed by newly prefilled ones (<paramref name="rowsB"/> of <paramref name="cacheB"/>),
    /// right-aligned to the longer length; the shorter side gets more left padding (zeros, masked out).
    /// </summary>
    private OwnedValues Merge(OrtValue[] cacheA, List<SequenceState> a, int lengthA, OrtValue[] cacheB, List<SequenceState> b, List<int> rowsB, int lengthB)
    {
        var length = Math.Max(lengthA, lengthB);
        foreach (var s in a)
        {
            s.Pad += length - lengthA;
        }

        foreach (var s in b)
        {
            s.Pad += length - lengthB;
        }

        var elem = _io.CacheType == TensorElementType.Float16 ? 2 : 4;
        var combined = _io.Layout == KvCacheLayout.Combined;
        var halves = combined ? 2 : 1;
        var rows = a.Count + b.Count;
        var heads = _io.KeyValueHeads;
        var block = _io.HeadSize * elem; // bytes of one position of one head
        var result = new OrtValue[cacheA.Length];
        try
        {
            for (var i = 0; i < cacheA.Length; i++)
            {
                result[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, _io.CacheType, CacheShape(rows, length));
                var dst = result[i].GetTensorMutableRawData();
                dst.Clear();
                var srcA = cacheA[i].GetTensorMutableRawData();
                var srcB = cacheB[i].GetTensorMutableRawData();
                var batchA = (int)cacheA[i].GetTensorTypeAndShape().Shape[combined ? 1 : 0];
                var batchB = (int)cacheB[i].GetTensorTypeAndShape().Shape[combined ? 1 : 0];
                for (var h = 0; h < halves; h++)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        var fromA = r < a.Count;
                        var src = fromA ? srcA : srcB;
                        var srcRow = fromA ? r : rowsB[r - a.Count];
                        var srcLength = fromA ? lengthA : lengthB;
                        var srcBatch = fromA ? batchA : batchB;
                        for (var head = 0; head < heads; head++)
                        {
                            var from = ((((h * srcBatch) + srcRow) * heads) + head) * srcLength * block;
                            var to = (((((h * rows) + r) * heads) + head) * length * block) + ((length - srcLength) * block);
                            src.Slice(from, srcLength * block).CopyTo(dst.Slice(to, srcLength * block));
                        }
                    }
                }
            }
        }
        catch
        {
            foreach (var v in result)
            {
                v?.Dispose();
            }

            throw;
        }

        return new OwnedValues(result);
    }

    /// <summary>Records a sampled token; false when the sequence is finished (and completed).</summary>
    private bool Accept(SequenceState s, int token, float logProb, int total)
    {
        if (s.Cancellation.IsCancellationRequested)
        {
            s.Completion.TrySetCanceled(s.Cancellation);
            return false;
        }

        var request = s.Request;
        if ((request.StopAtEndOfSequence && _eos.Contains(token)) || request.StopTokenIds.Contains(token))
        {
            s.Finish(GenerationFinishReason.EndOfSequence);
            return false;
        }

        s.Tokens.Add(token);
        s.LogProbs.Add(logProb);
        _stats.AddTokens(1);
        if (request.Observer is { } observer && !observer(token, logProb))
        {
            s.Finish(GenerationFinishReason.StopSequence);
            return false;
        }

        if (s.Tokens.Count >= request.MaxNewTokens)
        {
            s.Finish(GenerationFinishReason.MaxTokens);
            return false;
        }

        if (total - s.Pad + 1 >= _config.ContextLength)
        {
            s.Finish(GenerationFinishReason.ContextFull);
            return false;
        }

        return true;
    }

    private IDisposableReadOnlyCollection<OrtValue> RunSession(OrtValue ids, OrtValue? mask, OrtValue? pos, OrtValue[] past)
    {
        var k = 0;
        _inputValues[k++] = ids;
        if (mask is not null)
        {
            _inputValues[k++] = mask;
        }

        if (pos is not null)
        {
            _inputValues[k++] = pos;
        }

        past.CopyTo(_inputValues, k);
        var start = Stopwatch.GetTimestamp();
        try
        {
            return _session.Run(_runOptions, _inputNames, _inputValues, _outputNames);
        }
        finally
        {
            _stats.AddRun(Stopwatch.GetTimestamp() - start);
            Array.Clear(_inputValues);
        }
    }

    private static (int Seq, int Vocab) LogitsShape(OrtValue logits)
    {
        var shape = logits.GetTensorTypeAndShape().Shape;
        return ((int)shape[1], (int)shape[2]);
    }

    private ReadOnlySpan<float> LogitsRow(OrtValue logits, (int Seq, int Vocab) shape, int row)
    {
        var (seq, vocab) = shape;
        var offset = ((row * seq) + seq - 1) * vocab;
        if (_io.LogitsType == TensorElementType.Float)
        {
            return logits.GetTensorDataAsSpan<float>().Slice(offset, vocab);
        }

        if (_logitScratch.Length < vocab)
        {
            _logitScratch = new float[vocab];
        }

        var half = logits.GetTensorDataAsSpan<Float16>().Slice(offset, vocab);
        for (var i = 0; i < vocab; i++)
        {
            _logitScratch[i] = (float)half[i];
        }

        return _logitScratch.AsSpan(0, vocab);
    }

    private long[] CacheShape(int batch, long length) =>
        _io.Layout == KvCacheLayout.Combined
            ? [2, batch, _io.KeyValueHeads, length, _io.HeadSize]
            : [batch, _io.KeyValueHeads, length, _io.HeadSize];

    /// <summary>New cache tensors holding the given batch rows of the old ones (rows may repeat: that is how a shared prefill is fanned out).</summary>
    private OwnedValues SelectRows(OrtValue[] cache, List<int> rows)
    {
        var result = new OrtValue[cache.Length];
        var elem = _io.CacheType == TensorElementType.Float16 ? 2 : 4;
        try
        {
            for (var i = 0; i < cache.Length; i++)
            {
                var shape = cache[i].GetTensorTypeAndShape().Shape;
                var combined = _io.Layout == KvCacheLayout.Combined;
                var halves = combined ? (int)shape[0] : 1;
                var axis = combined ? 1 : 0;
                var batch = (int)shape[axis];
                long rowElems = 1;
                for (var d = axis + 1; d < shape.Length; d++)
                {
                    rowElems *= shape[d];
                }

                var rowBytes = (int)(rowElems * elem);
                var newShape = (long[])shape.Clone();
                newShape[axis] = rows.Count;
                result[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, _io.CacheType, newShape);
                var src = cache[i].GetTensorMutableRawData();
                var dst = result[i].GetTensorMutableRawData();
                for (var h = 0; h < halves; h++)
                {
                    for (var r = 0; r < rows.Count; r++)
                    {
                        src.Slice(((h * batch) + rows[r]) * rowBytes, rowBytes)
                            .CopyTo(dst.Slice(((h * rows.Count) + r) * rowBytes, rowBytes));
                    }
                }
            }
        }
        catch
        {
            foreach (var v in result)
            {
                v?.Dispose();
            }

            throw;
        }

        return new OwnedValues(result);
    }

    private static bool IsIdentity(List<int> rows)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] != i)
            {
                return false;
            }
        }

        return true;
    }

    private static OrtValue Allocate(TensorElementType type, int rows, int cols) =>
        OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, [rows, cols]);

    private static void Write(OrtValue tensor, TensorElementType type, int index, long value)
    {
        if (type == TensorElementType.Int64)
        {
            tensor.GetTensorMutableDataAsSpan<long>()[index] = value;
        }
        else
        {
            tensor.GetTensorMutableDataAsSpan<int>()[index] = (int)value;
        }
    }

    private void FillMask(OrtValue mask, List<SequenceState> live, int total)
    {
        if (_io.MaskType == TensorElementType.Int64)
        {
            var span = mask.GetTensorMutableDataAsSpan<long>();
            span.Fill(1);
            for (var r = 0; r < live.Count; r++)
            {
                span.Slice(r * total, live[r].Pad).Clear();
            }
        }
        else
        {
            var span = mask.GetTensorMutableDataAsSpan<int>();
            span.Fill(1);
            for (var r = 0; r < live.Count; r++)
            {
                span.Slice(r * total, live[r].Pad).Clear();
            }
        }
    }

    /// <summary>OrtValues the runner allocated itself (selected cache rows).</summary>
    private sealed class OwnedValues(OrtValue[] values) : IDisposable
    {
        public OrtValue[] Values { get; } = values;

        public void Dispose()
        {
            foreach (var v in Values)
            {
                v.Dispose();
            }
        }
    }
}
