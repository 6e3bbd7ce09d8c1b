namespace Compose.Onnx.Runtime;

/// <summary>
/// The key/value cache of one finished sequence: the positions 0..<see cref="Length"/>-1 of <see cref="Ids"/>, without
/// padding, one byte array per past input of the decoder laid out [halves, kv heads, length, head size] (halves is 2
/// for the combined layout, 1 for the separate one). Immutable once made, so any number of prefills read one entry
/// at once and a copy made by resampling costs nothing.
/// </summary>
internal sealed class PrefixEntry
{
    public PrefixEntry(int[] ids, byte[][] tensors)
    {
        Ids = ids;
        Tensors = tensors;
        Bytes = tensors.Sum(t => (long)t.Length) + ((long)ids.Length * sizeof(int));
    }

    /// <summary>The tokens whose keys and values are held.</summary>
    public int[] Ids { get; }

    public int Length => Ids.Length;

    /// <summary>One array per past input, in the decoder's run order.</summary>
    public byte[][] Tensors { get; }

    /// <summary>What the entry holds in memory (cache and ids).</summary>
    public long Bytes { get; }
}

/// <summary>
/// Key/value caches of finished sequences, keyed by token ids, so that a new prompt prefills only what follows the
/// longest prefix it shares with one of them. Bounded by bytes: least recently used whole entries are evicted (an
/// entry is used when stored or reused); an entry whose ids begin another's is redundant and dropped. Thread-safe.
/// </summary>
internal sealed class PrefixCache
{
    private readonly Lock _lock = new();
    private readonly LinkedList<PrefixEntry> _entries = []; // most recently used first
    private readonly RunStatistics _stats;
    private long _bytes;

    public PrefixCache(long capacityBytes, RunStatistics stats)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        Capacity = capacityBytes;
        _stats = stats;
    }

    public long Capacity { get; }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// The entry sharing the longest token prefix with <paramref name="prompt"/> and the length of that prefix, at most
    /// <c>prompt.Count - 1</c> (the last prompt token always runs: its logits give the first new token); null and 0
    /// when no entry shares a first token. Counts a hit or a miss and marks the entry used.
    /// </summary>
    public (PrefixEntry? Entry, int Length) Find(IReadOnlyList<int> prompt)
    {
        var limit = prompt.Count - 1;
        lock (_lock)
        {
            LinkedListNode<PrefixEntry>? best = null;
            var bestLength = 0;
            for (var node = _entries.First; node is not null && bestLength < limit; node = node.Next)
            {
                var ids = node.Value.Ids;
                var max = Math.Min(limit, ids.Length);
                var n = 0;
                while (n < max && ids[n] == prompt[n])
                {
                    n++;
                }

                if (n > bestLength)
                {
                    best = node;
                    bestLength = n;
                }
            }

            if (best is null)
            {
                _stats.AddPrefixLookup(hit: false);
                return (null, 0);
            }

            _entries.Remove(best);
            _entries.AddFirst(best);
            _stats.AddPrefixLookup(hit: true);
            return (best.Value, bestLength);
        }
    }

    /// <summary>
    /// True when an entry already holds the first <paramref name="length"/> ids of <paramref name="ids"/> (then it is
    /// marked used and nothing needs storing), or when an entry of that length could not be kept at all.
    /// </summary>
    public bool Covers(IReadOnlyList<int> ids, int length, long bytes)
    {
        if (bytes > Capacity)
        {
            return true;
        }

        lock (_lock)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Length >= length && StartsWith(node.Value.Ids, ids, length))
                {
                    _entries.Remove(node);
                    _entries.AddFirst(node);
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Keeps <paramref name="entry"/>: drops the entries it makes redundant, then evicts the least recently used until the bytes fit.</summary>
    public void Add(PrefixEntry entry)
    {
        if (entry.Bytes > Capacity)
        {
            return;
        }

        lock (_lock)
        {
            for (var node = _entries.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Length <= entry.Length && StartsWith(entry.Ids, node.Value.Ids, node.Value.Length))
                {
                    if (node.Value.Length == entry.Length)
                    {
                        // Already held (two identical sequences finished together): keep the old one.
                        _entries.Remove(node);
                        _entries.AddFirst(node);
                        _stats.SetPrefixCache(_bytes, _entries.Count);
                        return;
                    }

                    _entries.Remove(node);
                    _bytes -= node.Value.Bytes;
                }

                node = next;
            }

            _entries.AddFirst(entry);
            _bytes += entry.Bytes;
            while (_bytes > Capacity && _entries.Last is { } last)
            {
                _entries.RemoveLast();
                _bytes -= last.Value.Bytes;
                _stats.AddPrefixEviction();
            }

            _stats.SetPrefixCache(_bytes, _entries.Count);
        }
    }

    /// <summary>Drops every entry.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _bytes = 0;
            _stats.SetPrefixCache(0, 0);
        }
    }

    private static bool StartsWith(int[] ids, IReadOnlyList<int> prefix, int length)
    {
        for (var i = 0; i < length; i++)
        {
            if (ids[i] != prefix[i])
            {
                return false;
            }
        }

        return true;
    }
}
