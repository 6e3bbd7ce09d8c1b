using System.Collections.Immutable;
using System.Text;

namespace Compose.Onnx.Runtime;

/// <summary>
/// What the decoder's ONNX graph is built from, as far as the engines care: the operators the model builder uses for
/// real models (com.microsoft GroupQueryAttention, MatMulNBits, PagedAttention) and their attributes. Read from the
/// model file's protobuf without loading it: nodes are parsed, initializers (the weights) skipped.
/// </summary>
public sealed record DecoderGraph
{
    /// <summary>Every operator the graph (and its subgraphs) uses, as <c>domain:OpType</c> (<c>ai.onnx</c> for the default domain).</summary>
    public ImmutableSortedSet<string> Operators { get; init; } = ImmutableSortedSet<string>.Empty;

    public int GroupQueryAttentionNodes { get; init; }

    /// <summary>Some GroupQueryAttention applies rotary embedding itself (<c>do_rotary</c> 1, from cos/sin caches).</summary>
    public bool RotaryInAttention { get; init; }

    /// <summary>Some GroupQueryAttention reads packed Q/K/V (its key and value inputs are empty).</summary>
    public bool PackedQkv { get; init; }

    /// <summary>GroupQueryAttention's <c>kv_cache_bit_width</c> (a quantized key/value cache), if any node sets it.</summary>
    public int? KvCacheBits { get; init; }

    /// <summary>Some GroupQueryAttention keeps a window-sized cache (<c>sliding_window_cache</c> 1).</summary>
    public bool SlidingWindowCache { get; init; }

    /// <summary>GroupQueryAttention's <c>local_window_size</c> when positive (local attention over that many positions).</summary>
    public int? LocalWindow { get; init; }

    public int MatMulNBitsNodes { get; init; }

    /// <summary>MatMulNBits' weight bit widths and block sizes.</summary>
    public ImmutableSortedSet<int> WeightBits { get; init; } = ImmutableSortedSet<int>.Empty;

    public ImmutableSortedSet<int> BlockSizes { get; init; } = ImmutableSortedSet<int>.Empty;

    public bool UsesGroupQueryAttention => GroupQueryAttentionNodes > 0;

    public bool UsesPagedAttention => Operators.Contains("com.microsoft:PagedAttention");

    /// <summary>One line for <c>compose models inspect</c>: the model-builder features in use, or that there are none.</summary>
    public string Summary()
    {
        var parts = new List<string>();
        if (UsesGroupQueryAttention)
        {
            var details = new List<string>();
            if (PackedQkv)
            {
                details.Add("packed Q/K/V");
            }

            if (RotaryInAttention)
            {
                details.Add("rotary inside");
            }

            if (LocalWindow is { } w)
            {
                details.Add($"local window {w}");
            }

            if (SlidingWindowCache)
            {
                details.Add("window-sized cache");
            }

            if (KvCacheBits is { } bits)
            {
                details.Add($"{bits}-bit key/value cache");
            }

            parts.Add($"GroupQueryAttention x{GroupQueryAttentionNodes}" + (details.Count > 0 ? $" ({string.Join(", ", details)})" : ""));
        }

        if (UsesPagedAttention)
        {
            parts.Add("PagedAttention");
        }

        if (MatMulNBitsNodes > 0)
        {
            parts.Add($"MatMulNBits x{MatMulNBitsNodes} ({string.Join("/", WeightBits)}-bit weights, block {string.Join("/", BlockSizes)})");
        }

        var contrib = Operators.Where(o => o.StartsWith("com.microsoft:", StringComparison.Ordinal)
            && o is not ("com.microsoft:GroupQueryAttention" or "com.microsoft:MatMulNBits" or "com.microsoft:PagedAttention")).ToList();
        if (contrib.Count > 0)
        {
            parts.Add("also " + string.Join(", ", contrib.Select(o => o["com.microsoft:".Length..])));
        }

        return parts.Count > 0 ? string.Join("; ", parts) : "standard ONNX operators only";
    }

    /// <summary>Reads <paramref name="file"/>; a file that is not an ONNX model is ONNX007.</summary>
    public static DecoderGraph Read(string file)
    {
        var scan = new Scan();
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var reader = new StreamReader(stream);
            while (reader.Remaining > 0)
            {
                var (field, wire) = reader.Tag();
                if (field == 7 && wire == 2)
                {
                    // ModelProto.graph: stream through it so that initializers are skipped, never read.
                    var end = reader.Position + (long)reader.Varint();
                    while (reader.Position < end)
                    {
                        var (f, w) = reader.Tag();
                        if (f == 1 && w == 2)
                        {
                            scan.Node(reader.Bytes((int)reader.Varint()));
                        }
                        else
                        {
                            reader.Skip(w);
                        }
                    }
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or OverflowException or ArgumentOutOfRangeException)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadOnnxFile, file, $"'{Path.GetFileName(file)}' is not a readable ONNX model: {e.Message}",
                "The file is corrupt or truncated; re-export or re-download the model.");
        }

        return scan.Result();
    }

    private sealed class Scan
    {
        private readonly SortedSet<string> _operators = new(StringComparer.Ordinal);
        private readonly SortedSet<int> _bits = [];
        private readonly SortedSet<int> _blocks = [];
        private int _gqa, _nbits;
        private bool _rotary, _packed, _window;
        private int? _kvBits, _local;

        public void Node(ReadOnlySpan<byte> node)
        {
            var r = new SpanReader(node);
            var inputs = new List<string>();
            var attributes = new List<(string Name, long Int)>();
            string op = "", domain = "";
            while (!r.AtEnd)
            {
                var (field, wire) = r.Tag();
                switch (field, wire)
                {
                    case (1, 2):
                        inputs.Add(Encoding.UTF8.GetString(r.Bytes()));
                        break;
                    case (4, 2):
                        op = Encoding.UTF8.GetString(r.Bytes());
                        break;
                    case (7, 2):
                        domain = Encoding.UTF8.GetString(r.Bytes());
                        break;
                    case (5, 2):
                        attributes.Add(Attribute(r.Bytes()));
                        break;
                    default:
                        r.Skip(wire);
                        break;
                }
            }

            _operators.Add($"{(domain.Length == 0 ? "ai.onnx" : domain)}:{op}");
            if (domain != "com.microsoft")
            {
                return;
            }

            long? Attr(string name) => attributes.FindLast(a => a.Name == name) is { Name: not null } a ? a.Int : null;
            if (op == "GroupQueryAttention")
            {
                _gqa++;
                _rotary |= Attr("do_rotary") == 1;
                _packed |= inputs.Count < 2 || inputs[1].Length == 0;
                _window |= Attr("sliding_window_cache") == 1;
                if (Attr("kv_cache_bit_width") is { } kb and > 0)
                {
                    _kvBits = (int)kb;
                }

                if (Attr("local_window_size") is { } lw and > 0)
                {
                    _local = (int)lw;
                }
            }
            else if (op == "MatMulNBits")
            {
                _nbits++;
                _bits.Add((int)(Attr("bits") ?? 4));
                if (Attr("block_size") is { } bs)
                {
                    _blocks.Add((int)bs);
                }
            }
        }

        /// <summary>An attribute's name and integer value; its subgraphs (If, Loop, Scan bodies) are scanned too.</summary>
        private (string, long) Attribute(ReadOnlySpan<byte> bytes)
        {
            var r = new SpanReader(bytes);
            var name = "";
            long value = 0;
            while (!r.AtEnd)
            {
                var (field, wire) = r.Tag();
                switch (field, wire)
                {
                    case (1, 2):
                        name = Encoding.UTF8.GetString(r.Bytes());
                        break;
                    case (3, 0):
                        value = (long)r.Varint();
                        break;
                    case (6, 2):
                    case (11, 2):
                        Graph(r.Bytes());
                        break;
                    default:
                        r.Skip(wire);
                        break;
                }
            }

            return (name, value);
        }

        private void Graph(ReadOnlySpan<byte> graph)
        {
            var r = new SpanReader(graph);
            while (!r.AtEnd)
            {
                var (field, wire) = r.Tag();
                if (field == 1 && wire == 2)
                {
                    Node(r.Bytes());
                }
                else
                {
                    r.Skip(wire);
                }
            }
        }

        public DecoderGraph Result() => new()
        {
            Operators = [.. _operators],
            GroupQueryAttentionNodes = _gqa,
            RotaryInAttention = _rotary,
            PackedQkv = _packed,
            KvCacheBits = _kvBits,
            SlidingWindowCache = _window,
            LocalWindow = _local,
            MatMulNBitsNodes = _nbits,
            WeightBits = [.. _bits],
            BlockSizes = [.. _blocks],
        };
    }

    /// <summary>Protobuf wire format over a seekable stream: tags, varints, length-delimited fields read or skipped.</summary>
    private sealed class StreamReader(Stream stream)
    {
        public long Position => stream.Position;
        public long Remaining => stream.Length - stream.Position;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = stream.ReadByte();
                if (b < 0)
                {
                    throw new EndOfStreamException("The file ends inside a field.");
                }

                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("A varint is longer than 10 bytes.");
        }

        public byte[] Bytes(int length)
        {
            if (length < 0 || length > Remaining)
            {
                throw new EndOfStreamException("A field is longer than the rest of the file.");
            }

            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            return bytes;
        }

        public void Skip(int wire)
        {
            var n = wire switch
            {
                0 => 0,
                1 => 8,
                2 => checked((long)Varint()),
                5 => 4,
                _ => throw new InvalidDataException($"Unknown protobuf wire type {wire}."),
            };
            if (wire == 0)
            {
                Varint();
                return;
            }

            if (n > Remaining)
            {
                throw new EndOfStreamException("A field is longer than the rest of the file.");
            }

            stream.Seek(n, SeekOrigin.Current);
        }
    }

    private ref struct SpanReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly bool AtEnd => _at >= _data.Length;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _data.Length)
                {
                    throw new EndOfStreamException("A message ends inside a field.");
                }

                var b = _data[_at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("A varint is longer than 10 bytes.");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var n = checked((int)Varint());
            if (n < 0 || n > _data.Length - _at)
            {
                throw new EndOfStreamException("A field is longer than its message.");
            }

            var bytes = _data.Slice(_at, n);
            _at += n;
            return bytes;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    Advance(8);
                    break;
                case 2:
                    Bytes();
                    break;
                case 5:
                    Advance(4);
                    break;
                default:
                    throw new InvalidDataException($"Unknown protobuf wire type {wire}.");
            }
        }

        private void Advance(int n)
        {
            if (n > _data.Length - _at)
            {
                throw new EndOfStreamException("A field is longer than its message.");
            }

            _at += n;
        }
    }
}
