using System.Runtime.InteropServices;

namespace Compose.Onnx.TestKit;

/// <summary>
/// Builds a small ONNX model (onnx.proto field numbers) without the onnx Python package: nodes,
/// initializers (optionally in an external data file), typed inputs and outputs.
/// </summary>
public sealed class OnnxGraphBuilder
{
    public const int Float = 1;
    public const int UInt8 = 2;
    public const int Int8 = 3;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int Bool = 9;
    public const int Float16 = 10;

    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<(string Name, int Type, long[] Dims, byte[] Data)> _initializers = [];
    private readonly List<ProtoWriter> _inputs = [];
    private readonly List<ProtoWriter> _outputs = [];
    private readonly SortedSet<string> _domains = new(StringComparer.Ordinal);
    private int _next;

    public string Node(string op, string[] inputs, string? output = null, Action<ProtoWriter>? attributes = null) =>
        Node(op, inputs, [output ?? $"{op.ToLowerInvariant()}_{_next++}"], attributes)[0];

    /// <summary>
    /// A node with several outputs (an empty name leaves an optional output out), of the default domain or of
    /// <paramref name="domain"/> (e.g. <c>com.microsoft</c> for ONNX Runtime's contrib operators; the model then imports it).
    /// </summary>
    public string[] Node(string op, string[] inputs, string[] outputs, Action<ProtoWriter>? attributes = null, string? domain = null)
    {
        var node = new ProtoWriter();
        foreach (var i in inputs)
        {
            node.String(1, i);
        }

        foreach (var o in outputs)
        {
            node.String(2, o);
        }

        node.String(3, $"n{_next++}_{op}").String(4, op);
        if (attributes is not null)
        {
            attributes(node);
        }

        if (domain is { Length: > 0 })
        {
            node.String(7, domain);
            _domains.Add(domain);
        }

        _nodes.Add(node);
        return outputs;
    }

    /// <summary>Several attributes on one node.</summary>
    public static Action<ProtoWriter> Attrs(params Action<ProtoWriter>[] attributes) => n =>
    {
        foreach (var a in attributes)
        {
            a(n);
        }
    };

    public static Action<ProtoWriter> StringAttr(string name, string value) =>
        n => n.Message(5, new ProtoWriter().String(1, name).String(4, value).Int(20, 3));

    public static Action<ProtoWriter> FloatAttr(string name, float value) =>
        n => n.Message(5, new ProtoWriter().String(1, name).Float(2, value).Int(20, 1));

    public static Action<ProtoWriter> IntAttr(string name, long value) =>
        n => n.Message(5, new ProtoWriter().String(1, name).Int(3, value).Int(20, 2));

    public static Action<ProtoWriter> IntsAttr(string name, params long[] values) => n =>
    {
        var a = new ProtoWriter().String(1, name);
        foreach (var v in values)
        {
            a.Int(8, v);
        }

        n.Message(5, a.Int(20, 7));
    };

    public string Weights(string name, float[] data, params long[] dims)
    {
        _initializers.Add((name, Float, dims, MemoryMarshal.AsBytes(data.AsSpan()).ToArray()));
        return name;
    }

    public string Scalar(string name, float value) => Weights(name, [value]);

    /// <summary>A uint8 initializer (e.g. MatMulNBits' packed weights).</summary>
    public string Bytes(string name, byte[] data, params long[] dims)
    {
        _initializers.Add((name, UInt8, dims, data));
        return name;
    }

    public string Longs(string name, long[] values, long[]? dims = null)
    {
        _initializers.Add((name, Int64, dims ?? [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        return name;
    }

    public void Input(string name, int type, params object[] dims) => _inputs.Add(ValueInfo(name, type, dims));

    public void Output(string name, int type, params object[] dims) => _outputs.Add(ValueInfo(name, type, dims));

    /// <summary>Writes the model; initializers of at least <paramref name="externalThreshold"/> bytes go to <c>{file}.data</c> when it is set.</summary>
    public void Save(string path, int opset = 17, int? externalThreshold = null)
    {
        var graph = new ProtoWriter();
        foreach (var n in _nodes)
        {
            graph.Message(1, n);
        }

        graph.String(2, "tiny_decoder");
        FileStream? external = null;
        var dataName = Path.GetFileName(path) + ".data";
        try
        {
            foreach (var (name, type, dims, data) in _initializers)
            {
                var t = new ProtoWriter();
                foreach (var d in dims)
                {
                    t.Int(1, d);
                }

                t.Int(2, type).String(8, name);
                if (externalThreshold is { } limit && data.Length >= limit)
                {
                    external ??= File.Create(Path.Combine(Path.GetDirectoryName(path)!, dataName));
                    var offset = external.Position;
                    external.Write(data);
                    t.Message(13, new ProtoWriter().String(1, "location").String(2, dataName));
                    t.Message(13, new ProtoWriter().String(1, "offset").String(2, offset.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    t.Message(13, new ProtoWriter().String(1, "length").String(2, data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    t.Int(14, 1);
                }
                else
                {
                    t.Bytes(9, data);
                }

                graph.Message(5, t);
            }
        }
        finally
        {
            external?.Dispose();
        }

        foreach (var i in _inputs)
        {
            graph.Message(11, i);
        }

        foreach (var o in _outputs)
        {
            graph.Message(12, o);
        }

        // producer_name: the name this writer had when models/arith/model.onnx was written; kept so that
        // tools/arith/ArithTool rebuilds the shipped model byte for byte.
        var model = new ProtoWriter()
            .Int(1, 8)
            .String(2, "Compose.Onnx.Testing")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, opset));
        foreach (var domain in _domains)
        {
            model.Message(8, new ProtoWriter().String(1, domain).Int(2, 1));
        }

        File.WriteAllBytes(path, model.ToArray());
    }

    private static ProtoWriter ValueInfo(string name, int type, object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            var dim = new ProtoWriter();
            _ = d is string s ? dim.String(2, s) : dim.Int(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture));
            shape.Message(1, dim);
        }

        var tensor = new ProtoWriter().Int(1, type).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor));
    }
}
