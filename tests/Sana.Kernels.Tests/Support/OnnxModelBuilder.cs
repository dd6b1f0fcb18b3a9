using System.Text;

namespace Sana.Kernels.Tests.Support;

/// <summary>
/// Writes small ONNX models (the protobuf ModelProto, by hand: the tests need no ONNX package) so that each custom op
/// and its decomposition into standard ONNX ops can be run as a graph of its own on random shapes. Inputs and outputs
/// are float32 (or int64) tensors of any shape; initializers are float32 or int64.
/// </summary>
internal sealed class OnnxModelBuilder
{
    public const int Float = 1;
    public const int Float16 = 10;
    public const int Int64 = 7;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly Dictionary<string, int> _opsets = new(StringComparer.Ordinal) { [""] = 17 };
    private int _names;

    public OnnxModelBuilder UseDomain(string domain, int version)
    {
        _opsets[domain] = version;
        return this;
    }

    /// <summary>A graph input of the element type with a dynamic shape of <paramref name="rank"/> dimensions.</summary>
    public string Input(string name, int rank, int elementType = Float)
    {
        _inputs.Add(ValueInfo(name, elementType, rank));
        return name;
    }

    public void Output(string name, int rank, int elementType = Float) => _outputs.Add(ValueInfo(name, elementType, rank));

    public string Constant(float[] values, params long[] dims) => Initializer(Float, dims, values.SelectMany(BitConverter.GetBytes).ToArray());

    public string Constant(long[] values, params long[] dims) => Initializer(Int64, dims, values.SelectMany(BitConverter.GetBytes).ToArray());

    /// <summary>A node with one output (named automatically unless given); attributes are int, long, float, string or long[].</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes) =>
        NodeWithOutputs(op, "", inputs, 1, attributes)[0];

    public string[] NodeWithOutputs(string op, string domain, string[] inputs, int outputs, params (string Name, object Value)[] attributes)
    {
        var names = Enumerable.Range(0, outputs).Select(_ => $"t{_names++}").ToArray();
        var node = new Proto();
        foreach (var i in inputs)
        {
            node.String(1, i);
        }

        foreach (var o in names)
        {
            node.String(2, o);
        }

        node.String(4, op);
        if (domain.Length > 0)
        {
            node.String(7, domain);
        }

        foreach (var (name, value) in attributes)
        {
            node.Message(5, Attribute(name, value));
        }

        _nodes.Add(node.ToArray());
        return names;
    }

    /// <summary>Renames a value to a graph output name by an Identity node.</summary>
    public void MarkOutput(string value, string outputName, int rank, int elementType = Float)
    {
        var node = new Proto();
        node.String(1, value);
        node.String(2, outputName);
        node.String(4, "Identity");
        _nodes.Add(node.ToArray());
        Output(outputName, rank, elementType);
    }

    public byte[] Build()
    {
        var graph = new Proto();
        foreach (var n in _nodes)
        {
            graph.Message(1, n);
        }

        graph.String(2, "test");
        foreach (var t in _initializers)
        {
            graph.Message(5, t);
        }

        foreach (var i in _inputs)
        {
            graph.Message(11, i);
        }

        foreach (var o in _outputs)
        {
            graph.Message(12, o);
        }

        var model = new Proto();
        model.Varint(1, 10);  // ir_version
        foreach (var (domain, version) in _opsets)
        {
            var opset = new Proto();
            if (domain.Length > 0)
            {
                opset.String(1, domain);
            }

            opset.Varint(2, version);
            model.Message(8, opset.ToArray());
        }

        model.Message(7, graph.ToArray());
        return model.ToArray();
    }

    private string Initializer(int elementType, long[] dims, byte[] raw)
    {
        var name = $"c{_names++}";
        var t = new Proto();
        foreach (var d in dims)
        {
            t.Varint(1, d);
        }

        t.Varint(2, elementType);
        t.String(8, name);
        t.Bytes(9, raw);
        _initializers.Add(t.ToArray());
        return name;
    }

    private static byte[] ValueInfo(string name, int elementType, int rank)
    {
        var shape = new Proto();
        for (var d = 0; d < rank; d++)
        {
            var dim = new Proto();
            dim.String(2, $"{name}_d{d}");
            shape.Message(1, dim.ToArray());
        }

        var tensor = new Proto();
        tensor.Varint(1, elementType);
        tensor.Message(2, shape.ToArray());
        var type = new Proto();
        type.Message(1, tensor.ToArray());
        var info = new Proto();
        info.String(1, name);
        info.Message(2, type.ToArray());
        return info.ToArray();
    }

    private static byte[] Attribute(string name, object value)
    {
        var a = new Proto();
        a.String(1, name);
        switch (value)
        {
            case float f:
                a.Fixed32(2, BitConverter.SingleToUInt32Bits(f));
                a.Varint(20, 1);
                break;
            case int or long:
                a.Varint(3, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                a.Varint(20, 2);
                break;
            case string text:
                a.String(4, text);
                a.Varint(20, 3);
                break;
            case long[] ints:
                foreach (var i in ints)
                {
                    a.Varint(8, i);
                }

                a.Varint(20, 7);
                break;
            default:
                throw new ArgumentException($"attribute {name}: {value.GetType().Name} is not supported", nameof(value));
        }

        return a.ToArray();
    }

    /// <summary>Protobuf wire format, the few field kinds ONNX needs.</summary>
    private sealed class Proto
    {
        private readonly List<byte> _stream = [];

        public void Varint(int field, long value)
        {
            Tag(field, 0);
            Raw((ulong)value);
        }

        public void Fixed32(int field, uint value)
        {
            Tag(field, 5);
            _stream.AddRange(BitConverter.GetBytes(value));
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, byte[] message) => Bytes(field, message);

        public void Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            Raw((ulong)value.Length);
            _stream.AddRange(value);
        }

        public byte[] ToArray() => [.. _stream];

        private void Tag(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private void Raw(ulong value)
        {
            do
            {
                var b = (byte)(value & 0x7f);
                value >>= 7;
                _stream.Add(value != 0 ? (byte)(b | 0x80) : b);
            }
            while (value != 0);
        }
    }
}
