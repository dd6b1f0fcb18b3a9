using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Sana.Inference.Onnx;

/// <summary>
/// CUDA graphs for one session made with enable_cuda_graph: ONNX Runtime captures a run into a CUDA graph and replays
/// it, launch overhead gone, as long as every input and output stays at the same device address. So each input shape
/// (a micro-batch size at an image size) gets its own device buffers, an IO binding over them and a graph id, kept
/// for the session's life: the first runs of a shape are ordinary (ONNX Runtime's warm-up), then it is captured, and
/// every later run of that shape, in any micro-batch, replays it after copying its inputs into the buffers.
/// </summary>
internal sealed class CudaGraphs : IDisposable
{
    private readonly OnnxGraph _graph;
    private readonly InferenceSession _session;
    private readonly KernelLibrary _library;
    private readonly OrtMemoryInfo _memory;
    private readonly OrtAllocator _allocator;
    private readonly Dictionary<string, CapturedShape> _shapes = new(StringComparer.Ordinal);

    public CudaGraphs(OnnxGraph graph, InferenceSession session, KernelLibrary library, int deviceId)
    {
        _graph = graph;
        _session = session;
        _library = library;
        _memory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
        _allocator = new OrtAllocator(session, _memory);
    }

    public IGraphBinding Bind(IReadOnlyList<GraphInput> fixedInputs, IReadOnlyList<string> outputNames, IReadOnlyList<long[]> outputShapes) =>
        new Binding(this, fixedInputs, outputNames, outputShapes);

    public void Dispose()
    {
        foreach (var shape in _shapes.Values)
        {
            shape.Dispose();
        }

        _allocator.Dispose();
        _memory.Dispose();
    }

    private CapturedShape ShapeFor(IReadOnlyList<GraphInput> inputs, IReadOnlyList<string> outputNames, IReadOnlyList<long[]> outputShapes)
    {
        var key = string.Join(';', inputs.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => $"{i.Name}={string.Join('x', i.Value.GetTensorTypeAndShape().Shape)}"))
            + "|" + string.Join(';', outputNames.Zip(outputShapes, (n, s) => $"{n}={string.Join('x', s)}"));
        if (!_shapes.TryGetValue(key, out var shape))
        {
            shape = new CapturedShape(this, _shapes.Count + 1, inputs, outputNames, outputShapes);
            _shapes.Add(key, shape);
        }

        return shape;
    }

    private static unsafe IntPtr DevicePointer(OrtValue value) =>
        (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(value.GetTensorMutableRawData()));

    /// <summary>The device buffers, binding and graph id of one input shape.</summary>
    private sealed class CapturedShape : IDisposable
    {
        private readonly CudaGraphs _owner;
        private readonly Dictionary<string, OrtValue> _inputs = new(StringComparer.Ordinal);
        private readonly List<(string Name, OrtValue Value)> _outputs = [];
        private readonly OrtIoBinding _binding;

        public CapturedShape(CudaGraphs owner, int graphId, IReadOnlyList<GraphInput> inputs, IReadOnlyList<string> outputNames, IReadOnlyList<long[]> outputShapes)
        {
            _owner = owner;
            GraphId = graphId;
            _binding = owner._session.CreateIoBinding();
            try
            {
                foreach (var input in inputs)
                {
                    var info = input.Value.GetTensorTypeAndShape();
                    var buffer = OrtValue.CreateAllocatedTensorValue(owner._allocator, info.ElementDataType, info.Shape);
                    _inputs.Add(input.Name, buffer);
                    _binding.BindInput(input.Name, buffer);
                }

                var outputTypes = owner._session.OutputMetadata;
                for (var i = 0; i < outputNames.Count; i++)
                {
                    var buffer = OrtValue.CreateAllocatedTensorValue(owner._allocator, outputTypes[outputNames[i]].ElementDataType, outputShapes[i]);
                    _outputs.Add((outputNames[i], buffer));
                    _binding.BindOutput(outputNames[i], buffer);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public int GraphId { get; }

        public void Write(GraphInput input)
        {
            var host = input.Value.GetTensorMutableRawData();
            var buffer = _inputs[input.Name];
            _owner._library.CopyToDevice(DevicePointer(buffer), host);
        }

        public HostTensor[] Run(CancellationToken cancellationToken)
        {
            _owner._graph.RunOnDevice(_binding, GraphId, cancellationToken);
            var results = new HostTensor[_outputs.Count];
            for (var i = 0; i < results.Length; i++)
            {
                var info = _outputs[i].Value.GetTensorTypeAndShape();
                var bytes = new byte[_outputs[i].Value.GetTensorMutableRawData().Length];
                _owner._library.CopyToHost(bytes, DevicePointer(_outputs[i].Value));
                results[i] = _owner._graph.ReadFloats(info.ElementDataType, bytes, info.Shape);
            }

            return results;
        }

        public void Dispose()
        {
            _binding.Dispose();
            foreach (var v in _inputs.Values)
            {
                v.Dispose();
            }

            foreach (var (_, v) in _outputs)
            {
                v.Dispose();
            }
        }
    }

    /// <summary>One micro-batch's runs: the fixed inputs go to the shape's buffers at its first run, the rest every run.</summary>
    private sealed class Binding(CudaGraphs owner, IReadOnlyList<GraphInput> fixedInputs, IReadOnlyList<string> outputNames, IReadOnlyList<long[]> outputShapes) : IGraphBinding
    {
        private CapturedShape? _shape;

        public HostTensor[] Run(IReadOnlyList<GraphInput> inputs, CancellationToken cancellationToken)
        {
            if (_shape is null)
            {
                _shape = owner.ShapeFor([.. fixedInputs, .. inputs], outputNames, outputShapes);
                foreach (var input in fixedInputs)
                {
                    _shape.Write(input);
                }
            }

            foreach (var input in inputs)
            {
                _shape.Write(input);
            }

            return _shape.Run(cancellationToken);
        }

        public void Dispose()
        {
            // the shape's buffers stay with the session: its captured graph reads them
        }
    }
}
