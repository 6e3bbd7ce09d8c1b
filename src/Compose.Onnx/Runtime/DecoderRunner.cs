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
/// finished sequences leave the batch. With a <see cref="PrefixCache"/>, a finished sequence's cache is kept
/// and a later prompt runs only what follows the longest prefix it shares with a kept one, the kept keys and
/// values as past (both cache layouts take past and several new tokens in one run; should a decoder refuse it,
/// the runner turns the prefix cache off and prefills in full). Runs on one thread at a time.
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
    private PrefixCache? _prefixCache;
    private float[] _logitScratch = [];

    public DecoderRunner(InferenceSession session, GenAiConfig config, DecoderInterface io, RunStatistics stats, string file, PrefixCache? prefixCache = null)
    {
        _prefixCache = prefixCache;
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
        var start = Stopwatch.GetTimestamp();
        try
        {
            Generate(batch, all, maxBatch, join);
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
            _stats.AddBatchTime(Stopwatch.GetTimestamp() - start);
        }
    }

    private void Generate(IReadOnlyList<SequenceState> batch, List<SequenceState> all, int maxBatch, Func<int, IReadOnlyList<SequenceState>>? join)
    {
        var run = new RunningBatch();
        try
        {
            Prefill(run, batch);
            while (true)
            {
                if (join is not null && run.Live.Count < maxBatch && join(maxBatch - run.Live.Count) is { Count: > 0 } more)
                {
                    all.AddRange(more);
                    Prefill(run, more);
                }

                if (run.Live.Count == 0)
                {
                    break;
                }

                Compact(run);
                var live = run.Live;
                var a = live.Count;
                var total = ++run.Total;
                IDisposableReadOnlyCollection<OrtValue> outputs;
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

                    outputs = RunSession(ids, mask, pos, run.Cache);
                }

                run.Owner?.Dispose();
                run.Owner = outputs;
                for (var i = 0; i < run.Cache.Length; i++)
                {
                    run.Cache[i] = outputs[i + 1];
                }

                run.CacheRows = a;
                var next = new List<SequenceState>(a);
                run.LiveRows.Clear();
                var shape = LogitsShape(outputs[0]);
                for (var r = 0; r < a; r++)
                {
                    var s = live[r];
                    var logits = LogitsRow(outputs[0], shape, r);
                    if (Accept(s, s.Next(logits, out var lp), lp, TopOf(s, logits), total))
                    {
                        next.Add(s);
                        run.LiveRows.Add(r);
                    }
                    else
                    {
                        Retain(s, run.Cache, r, total);
                    }
                }

                run.Live = next;
            }
        }
        finally
        {
            run.Owner?.Dispose();
        }
    }

    /// <summary>Makes the running cache hold exactly the live rows, in order (drops finished rows, fans out shared prefills).</summary>
    private void Compact(RunningBatch run)
    {
        if (run.Live.Count != run.CacheRows || !IsIdentity(run.LiveRows))
        {
            var selected = SelectRows(run.Cache, run.LiveRows);
            run.Owner?.Dispose();
            run.Owner = selected;
            run.Cache = (OrtValue[])selected.Values.Clone();
            run.CacheRows = run.LiveRows.Count;
            run.LiveRows = [.. Enumerable.Range(0, run.CacheRows)];
        }
    }

    /// <summary>Takes a prefilled part into the running batch (becomes it when nothing runs; merged otherwise). Owns <paramref name="part"/>'s outputs.</summary>
    private void Absorb(RunningBatch run, PrefillPart part)
    {
        if (part.Live.Count == 0)
        {
            part.Outputs.Dispose();
            return;
        }

        if (run.Owner is null || run.Live.Count == 0)
        {
            run.Owner?.Dispose();
            run.Owner = part.Outputs;
            run.Cache = Presents(part.Outputs);
            run.Total = part.Length;
            run.Live = part.Live;
            run.LiveRows = part.Rows;
            run.CacheRows = part.RowCount;
            return;
        }

        OwnedValues merged;
        try
        {
            Compact(run);
            merged = Merge(run.Cache, run.Live, run.Total, Presents(part.Outputs), part.Live, part.Rows, part.Length);
        }
        finally
        {
            part.Outputs.Dispose();
        }

        run.Owner.Dispose();
        run.Owner = merged;
        run.Cache = (OrtValue[])merged.Values.Clone();
        run.Total = Math.Max(run.Total, part.Length);
        run.Live.AddRange(part.Live);
        run.CacheRows = run.Live.Count;
        run.LiveRows = [.. Enumerable.Range(0, run.CacheRows)];
    }

    /// <summary>
    /// Prefills <paramref name="batch"/> into the running batch: each distinct prompt once. With the prefix cache, each
    /// distinct prompt looks up its longest cached prefix and only the rest (at least its last token) is run, with the
    /// cached keys and values as past; prompts are run in parts of similar remaining length (a part pads its rows to
    /// its longest remainder by running a little more of the shorter rows' prompts, never by leaving a gap), and the
    /// prompts that found nothing are run together, left-padded, as without the cache. Every part's first tokens are
    /// sampled and its rows merged into the running batch.
    /// </summary>
    private void Prefill(RunningBatch run, IReadOnlyList<SequenceState> batch)
    {
        var groups = new List<PromptGroup>();
        foreach (var s in batch)
        {
            var p = s.Request.PromptIds;
            var g = groups.Find(q => q.Prompt.Count == p.Count && q.Prompt.SequenceEqual(p));
            if (g is null)
            {
                g = new PromptGroup(p);
                groups.Add(g);
            }

            g.Sequences.Add(s);
        }

        _stats.AddBatch(groups.Count);
        if (_prefixCache is not null)
        {
            foreach (var g in groups)
            {
                (g.Entry, g.Reuse) = _prefixCache.Find(g.Prompt);
            }
        }

        foreach (var part in Parts(groups))
        {
            Absorb(run, RunPart(part));
        }
    }

    /// <summary>
    /// Splits prompt groups into the parts run together: those without a cached prefix in one part (left-padded as
    /// always), those with one by remaining length, each part's longest remainder at most twice its shortest plus 16.
    /// </summary>
    private static IEnumerable<List<PromptGroup>> Parts(List<PromptGroup> groups)
    {
        var cold = groups.Where(g => g.Reuse == 0).ToList();
        if (cold.Count > 0)
        {
            yield return cold;
        }

        List<PromptGroup>? part = null;
        var shortest = 0;
        foreach (var g in groups.Where(g => g.Reuse > 0).OrderBy(g => g.Remaining))
        {
            if (part is null || g.Remaining > (2 * shortest) + 16)
            {
                if (part is not null)
                {
                    yield return part;
                }

                part = [];
                shortest = g.Remaining;
            }

            part.Add(g);
        }

        if (part is not null)
        {
            yield return part;
        }
    }

    /// <summary>
    /// Runs one part of a prefill: every row is right-aligned to the part's length (past + new tokens); a row's cached
    /// prefix fills the end of the past, its remaining prompt tokens the new tokens, padding (masked) the left. Samples
    /// every sequence's first token; finished ones are kept in the prefix cache.
    /// </summary>
    private PrefillPart RunPart(List<PromptGroup> part)
    {
        var u = part.Count;
        var newLength = part.Max(g => g.Remaining);
        var reuse = new int[u];
        for (var r = 0; r < u; r++)
        {
            reuse[r] = part[r].Entry is null ? 0 : Math.Max(0, part[r].Prompt.Count - newLength);
        }

        var pastLength = reuse.Max();
        var length = pastLength + newLength;
        var pads = part.Select(g => length - g.Prompt.Count).ToArray();
        try
        {
            var outputs = RunPrefill(part, reuse, pads, pastLength, newLength);
            return Sample(part, outputs, pads, length);
        }
        catch (OnnxRuntimeException) when (pastLength > 0)
        {
            // A decoder that cannot take cached keys and values together with several new tokens (the graph is only
            // meant for one token after a prompt): turn the prefix cache off for this model and prefill in full.
            _prefixCache?.Clear();
            _prefixCache = null;
            foreach (var g in part)
            {
                (g.Entry, g.Reuse) = (null, 0);
            }

            return RunPart(part);
        }
    }

    private IDisposableReadOnlyCollection<OrtValue> RunPrefill(List<PromptGroup> part, int[] reuse, int[] pads, int pastLength, int newLength)
    {
        var u = part.Count;
        var length = pastLength + newLength;
        long prefilled = 0;
        using var ids = Allocate(_io.IdsType, u, newLength);
        using var mask = _io.HasAttentionMask ? Allocate(_io.MaskType!.Value, u, length) : null;
        using var pos = _io.HasPositionIds ? Allocate(_io.PositionType!.Value, u, newLength) : null;
        for (var r = 0; r < u; r++)
        {
            var prompt = part[r].Prompt;
            prefilled += prompt.Count - reuse[r];
            for (var c = 0; c < newLength; c++)
            {
                var t = pastLength + c; // index in the padded sequence
                var real = t >= pads[r];
                var at = (r * newLength) + c;
                Write(ids, _io.IdsType, at, real ? prompt[t - pads[r]] : _padId);
                if (pos is not null)
                {
                    Write(pos, _io.PositionType!.Value, at, real ? t - pads[r] : 0);
                }
            }

            if (mask is not null)
            {
                for (var t = 0; t < length; t++)
                {
                    Write(mask, _io.MaskType!.Value, (r * length) + t, t >= pads[r] ? 1 : 0);
                }
            }
        }

        var past = new OrtValue[_io.PastNames.Length];
        try
        {
            for (var i = 0; i < past.Length; i++)
            {
                past[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, _io.CacheType, CacheShape(u, pastLength));
                if (pastLength > 0)
                {
                    var dst = past[i].GetTensorMutableRawData();
                    dst.Clear();
                    for (var r = 0; r < u; r++)
                    {
                        if (reuse[r] > 0)
                        {
                            CopyFromEntry(part[r].Entry!, i, reuse[r], dst, u, r, pastLength);
                        }
                    }
                }
            }

            var outputs = RunSession(ids, mask, pos, past);
            _stats.AddPrefill(prefilled, reuse.Sum(x => (long)x));
            return outputs;
        }
        finally
        {
            foreach (var p in past)
            {
                p?.Dispose();
            }
        }
    }

    /// <summary>Samples the first token of every sequence of a prefilled part; the live ones and their rows go on.</summary>
    private PrefillPart Sample(List<PromptGroup> part, IDisposableReadOnlyCollection<OrtValue> outputs, int[] pads, int length)
    {
        var live = new List<SequenceState>();
        var rows = new List<int>();
        try
        {
            var shape = LogitsShape(outputs[0]);
            OrtValue[]? cache = null;
            for (var r = 0; r < part.Count; r++)
            {
                foreach (var s in part[r].Sequences)
                {
                    s.Pad = pads[r];
                    var logits = LogitsRow(outputs[0], shape, r);
                    if (Accept(s, s.Next(logits, out var lp), lp, TopOf(s, logits), length))
                    {
                        live.Add(s);
                        rows.Add(r);
                    }
                    else
                    {
                        Retain(s, cache ??= Presents(outputs), r, length);
                    }
                }
            }
        }
        catch
        {
            outputs.Dispose();
            throw;
        }

        return new PrefillPart(outputs, length, part.Count, live, rows);
    }

    /// <summary>
    /// Keeps the cache of a sequence that finished normally in the prefix cache: its prompt and the generated tokens
    /// that were run (all but the last one sampled), row <paramref name="row"/> of <paramref name="cache"/>, positions
    /// from its padding to <paramref name="length"/>.
    /// </summary>
    private void Retain(SequenceState s, OrtValue[] cache, int row, int length)
    {
        if (_prefixCache is null || !s.Completion.Task.IsCompletedSuccessfully)
        {
            return;
        }

        var count = length - s.Pad;
        var prompt = s.Request.PromptIds;
        if (count <= 0 || count > prompt.Count + s.Tokens.Count)
        {
            return;
        }

        var ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = i < prompt.Count ? prompt[i] : s.Tokens[i - prompt.Count];
        }

        var elem = _io.CacheType == TensorElementType.Float16 ? 2 : 4;
        var halves = _io.Layout == KvCacheLayout.Combined ? 2 : 1;
        var block = _io.HeadSize * elem;
        var perTensor = (long)halves * _io.KeyValueHeads * count * block;
        if (_prefixCache.Covers(ids, count, (perTensor * cache.Length) + ((long)count * sizeof(int))))
        {
            return;
        }

        var tensors = new byte[cache.Length][];
        for (var i = 0; i < cache.Length; i++)
        {
            var shape = cache[i].GetTensorTypeAndShape().Shape;
            var combined = _io.Layout == KvCacheLayout.Combined;
            var batch = (int)shape[combined ? 1 : 0];
            var cacheLength = (int)shape[combined ? 3 : 2];
            var src = cache[i].GetTensorMutableRawData();
            var dst = new byte[perTensor];
            for (var h = 0; h < halves; h++)
            {
                for (var head = 0; head < _io.KeyValueHeads; head++)
                {
                    var from = (((((h * batch) + row) * _io.KeyValueHeads) + head) * cacheLength * block) + ((cacheLength - count) * block);
                    var to = ((h * _io.KeyValueHeads) + head) * count * block;
                    src.Slice(from, count * block).CopyTo(dst.AsSpan(to, count * block));
                }
            }

            tensors[i] = dst;
        }

        _prefixCache.Add(new PrefixEntry(ids, tensors));
    }

    /// <summary>Copies the first <paramref name="count"/> positions of an entry's tensor into the end of row <paramref name="row"/> of a past tensor.</summary>
    private void CopyFromEntry(PrefixEntry entry, int tensor, int count, Span<byte> dst, int rows, int row, int pastLength)
    {
        var elem = _io.CacheType == TensorElementType.Float16 ? 2 : 4;
        var halves = _io.Layout == KvCacheLayout.Combined ? 2 : 1;
        var block = _io.HeadSize * elem;
        var src = entry.Tensors[tensor];
        for (var h = 0; h < halves; h++)
        {
            for (var head = 0; head < _io.KeyValueHeads; head++)
            {
                var from = ((h * _io.KeyValueHeads) + head) * entry.Length * block;
                var to = (((((h * rows) + row) * _io.KeyValueHeads) + head) * pastLength * block) + ((pastLength - count) * block);
                src.AsSpan(from, count * block).CopyTo(dst.Slice(to, count * block));
            }
        }
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

    /// <summary>The alternatives a sequence asked for at this position, or null.</summary>
    private static TokenChoice[]? TopOf(SequenceState s, ReadOnlySpan<float> logits) =>
        s.Request.TopLogProbs > 0 && !s.Cancellation.IsCancellationRequested ? s.Sampler.Top(logits, s.Request.TopLogProbs) : null;

    /// <summary>Records a sampled token (<see cref="SequenceState.Accept"/>) and counts it; false when the sequence is finished.</summary>
    private bool Accept(SequenceState s, int token, float logProb, TokenChoice[]? top, int total)
    {
        var before = s.Tokens.Count;
        var going = s.Accept(token, logProb, top, total, _eos, _config.ContextLength);
        _stats.AddTokens(s.Tokens.Count - before);
        return going;
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

    /// <summary>The batch being decoded: its cache (and what owns it), padded length, live sequences and their cache rows.</summary>
    private sealed class RunningBatch
    {
        public IDisposable? Owner { get; set; }
        public OrtValue[] Cache { get; set; } = [];
        public int CacheRows { get; set; }
        public int Total { get; set; }
        public List<SequenceState> Live { get; set; } = [];
        public List<int> LiveRows { get; set; } = [];
    }

    /// <summary>A distinct prompt of a prefill, the sequences that share it, and the cached prefix it found.</summary>
    private sealed class PromptGroup(IReadOnlyList<int> prompt)
    {
        public IReadOnlyList<int> Prompt { get; } = prompt;
        public List<SequenceState> Sequences { get; } = [];
        public PrefixEntry? Entry { get; set; }
        public int Reuse { get; set; }
        public int Remaining => Prompt.Count - Reuse;
    }

    /// <summary>One prefill session run's outputs and the sequences still going, with their rows in it.</summary>
    private sealed record PrefillPart(IDisposableReadOnlyCollection<OrtValue> Outputs, int Length, int RowCount, List<SequenceState> Live, List<int> Rows);

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
