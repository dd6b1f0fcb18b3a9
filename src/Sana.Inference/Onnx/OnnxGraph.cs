using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Sana.Inference.Onnx;

/// <summary>The element type of a port: the graph's float dtype (the manifest's), always float32, or int64.</summary>
internal enum PortType
{
    GraphFloat,
    Float32,
    Int64,
}

/// <summary>
/// What a graph input or output must look like for the runtime to drive it. <paramref name="Dims"/> pins the sizes
/// the manifest promises (channels, hidden sizes) where the graph has them fixed; null entries are free (batch,
/// sequence, height, width).
/// </summary>
internal readonly record struct PortSpec(string Name, PortType Type, int Rank, long?[]? Dims = null);

/// <summary>A float32 host tensor: row-major data plus its shape.</summary>
internal readonly record struct HostTensor(float[] Data, long[] Shape);

/// <summary>A named input ready for ONNX Runtime (converted to the port's type); owns its native value.</summary>
internal sealed class GraphInput(string name, OrtValue value) : IDisposable
{
    public string Name { get; } = name;

    public OrtValue Value { get; } = value;

    public void Dispose() => Value.Dispose();
}

/// <summary>
/// One ONNX graph in one session. Opening it checks the ports the runtime relies on (names, float or int64, rank)
/// so that a wrong graph is a load-time error naming the file, not a crash in the middle of a job. Float ports are
/// exchanged as float32 and converted at the boundary when the graph is fp16 or bf16.
/// </summary>
internal sealed class OnnxGraph : IDisposable
{
    private readonly InferenceSession _session;
    private readonly TensorElement _element;
    private readonly Dictionary<string, PortType> _inputTypes;
    private CudaGraphs? _cudaGraphs;

    public OnnxGraph(string path, SessionOptions options, TensorElement element, IReadOnlyList<PortSpec> inputs, IReadOnlyList<PortSpec> outputs)
    {
        Path = path;
        _element = element;
        _inputTypes = inputs.ToDictionary(i => i.Name, i => i.Type);
        try
        {
            _session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new Model.ModelFolderException($"{path}: ONNX Runtime cannot load this graph: {e.Message.Trim()}", e);
        }

        try
        {
            Check(inputs, _session.InputMetadata, "input");
            Check(outputs, _session.OutputMetadata, "output");
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    public string Path { get; }

    /// <summary>
    /// An input converted to the port's element type once, for inputs that stay the same across many runs (the text
    /// embedding and masks of a micro-batch: converting a 2B x 300 x 2304 embedding to fp16 every step costs more than
    /// some steps). Dispose it when the runs are done.
    /// </summary>
    public GraphInput Prepare(string name, HostTensor tensor) =>
        new(name, _inputTypes.GetValueOrDefault(name) == PortType.Float32
            ? OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.Shape)
            : CreateFloatValue(tensor));

    /// <summary>An int64 input (ids, masks), wrapped without a copy.</summary>
    public static GraphInput Prepare(string name, long[] data, long[] shape) =>
        new(name, OrtValue.CreateTensorValueFromMemory(data, shape));

    /// <summary>Runs the graph on prepared inputs and returns the float outputs as float32.</summary>
    public HostTensor[] Run(IReadOnlyList<GraphInput> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
    {
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            (names[i], values[i]) = (inputs[i].Name, inputs[i].Value);
        }

        return RunGuarded(runOptions => _session.Run(runOptions, names, values, outputNames), cancellationToken);
    }

    /// <summary>
    /// A binding for runs repeated with some inputs unchanged (the denoising steps of a micro-batch):
    /// <paramref name="fixedInputs"/> are bound once, which copies them to the session's device once instead of at
    /// every run, and each <see cref="GraphBinding.Run"/> binds only what changes. The fixed inputs must outlive the
    /// binding: on the CPU the binding reads their memory in place.
    /// </summary>
    public IGraphBinding Bind(IReadOnlyList<GraphInput> fixedInputs, IReadOnlyList<string> outputNames, IReadOnlyList<long[]>? outputShapes = null)
    {
        if (_cudaGraphs is not null && outputShapes is not null)
        {
            return _cudaGraphs.Bind(fixedInputs, outputNames, outputShapes);
        }

        var binding = _session.CreateIoBinding();
        try
        {
            return new GraphBinding(this, binding, fixedInputs, outputNames);
        }
        catch
        {
            binding.Dispose();
            throw;
        }
    }

    /// <summary>Runs the graph on a binding's inputs and returns its bound outputs as float32.</summary>
    internal HostTensor[] RunBound(OrtIoBinding binding, CancellationToken cancellationToken) =>
        RunGuarded(runOptions =>
        {
            _session.RunWithBinding(runOptions, binding);
            return binding.GetOutputValues();
        }, cancellationToken);

    /// <summary>
    /// From now on, runs bound with output shapes (<see cref="Bind"/>) go through device buffers that ONNX Runtime
    /// captures into one CUDA graph per shape and replays (the session must have been made with enable_cuda_graph).
    /// </summary>
    internal void UseCudaGraphs(KernelLibrary library, int deviceId) => _cudaGraphs ??= new CudaGraphs(this, _session, library, deviceId);

    /// <summary>Runs a binding whose outputs stay on the device, as CUDA graph <paramref name="graphId"/>.</summary>
    internal void RunOnDevice(OrtIoBinding binding, int graphId, CancellationToken cancellationToken) =>
        RunGuarded(runOptions =>
        {
            runOptions.AddRunConfigEntry("gpu_graph_id", graphId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _session.RunWithBinding(runOptions, binding);
            binding.SynchronizeBoundOutputs();
            return null;
        }, cancellationToken);

    /// <summary>Runs the graph once on host tensors (prepared and released around the call).</summary>
    public HostTensor[] Run(
        IReadOnlyList<(string Name, HostTensor Tensor)> floatInputs,
        IReadOnlyList<(string Name, long[] Data, long[] Shape)> longInputs,
        IReadOnlyList<string> outputNames,
        CancellationToken cancellationToken)
    {
        var inputs = new List<GraphInput>(floatInputs.Count + longInputs.Count);
        try
        {
            inputs.AddRange(floatInputs.Select(f => Prepare(f.Name, f.Tensor)));
            inputs.AddRange(longInputs.Select(l => Prepare(l.Name, l.Data, l.Shape)));
            return Run(inputs, outputNames, cancellationToken);
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Dispose();
            }
        }
    }

    /// <summary>Ends ONNX Runtime's profiling of this session (enabled by the session options) and returns the trace's path.</summary>
    public string EndProfiling() => _session.EndProfiling();

    public void Dispose()
    {
        _cudaGraphs?.Dispose();
        _session.Dispose();
    }

    /// <summary>
    /// One run, cancellable (the token terminates it inside ONNX Runtime), with out-of-memory told apart from other
    /// failures (the capacity probe and the worker retry smaller), and every output read back as float32.
    /// </summary>
    private HostTensor[] RunGuarded(Func<RunOptions, IDisposableReadOnlyCollection<OrtValue>?> run, CancellationToken cancellationToken)
    {
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        IDisposableReadOnlyCollection<OrtValue>? results;
        try
        {
            results = run(runOptions);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (OnnxRuntimeException e) when (OutOfDeviceMemoryException.IsOutOfMemory(e))
        {
            throw new OutOfDeviceMemoryException($"{Path}: out of device memory: {e.Message.Trim()}", e);
        }

        if (results is null)
        {
            return [];
        }

        using (results)
        {
            var outputs = new HostTensor[results.Count];
            for (var i = 0; i < outputs.Length; i++)
            {
                outputs[i] = ReadFloatValue(results[i]);
            }

            return outputs;
        }
    }

    private OrtValue CreateFloatValue(HostTensor tensor) => _element switch
    {
        TensorElement.Fp32 => OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.Shape),
        TensorElement.Fp16 => OrtValue.CreateTensorValueFromMemory(ToFloat16(tensor.Data), tensor.Shape),
        _ => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(tensor.Data, v => (BFloat16)v), tensor.Shape),
    };

    /// <summary>
    /// float32 to fp16 with .NET's vectorised conversion into ONNX Runtime's Float16 (both IEEE binary16, round to
    /// nearest even: the same bits as Float16's own cast, checked for every fp16 value and millions of floats in
    /// HalfConversionTests). Why: the transformer's input and output cross this boundary at every step; one by one
    /// it took 5-6 ms per million values on the development machine, about 2% of a step at batch 16 on the H200.
    /// </summary>
    internal static Float16[] ToFloat16(ReadOnlySpan<float> source)
    {
        var result = new Float16[source.Length];
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(source, System.Runtime.InteropServices.MemoryMarshal.Cast<Float16, Half>(result.AsSpan()));
        return result;
    }

    /// <summary>fp16 to float32, vectorised (see <see cref="ToFloat16"/>).</summary>
    internal static float[] FromFloat16(ReadOnlySpan<Float16> source)
    {
        var result = new float[source.Length];
        System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(System.Runtime.InteropServices.MemoryMarshal.Cast<Float16, Half>(source), result);
        return result;
    }

    private HostTensor ReadFloatValue(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        return ReadFloats(info.ElementDataType, value.GetTensorMutableRawData(), info.Shape);
    }

    /// <summary>An output's bytes (host memory) of a float element type as a float32 host tensor.</summary>
    internal HostTensor ReadFloats(TensorElementType type, ReadOnlySpan<byte> bytes, long[] shape)
    {
        float[] data = type switch
        {
            TensorElementType.Float => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            TensorElementType.Float16 => FromFloat16(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Float16>(bytes)),
            TensorElementType.BFloat16 => ConvertAll(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, BFloat16>(bytes), h => (float)h),
            var other => throw new InvalidOperationException($"{Path}: output has element type {other}, expected a float type"),
        };
        return new HostTensor(data, shape);
    }

    private static float[] ConvertAll<T>(ReadOnlySpan<T> source, Func<T, float> convert)
    {
        var result = new float[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            result[i] = convert(source[i]);
        }

        return result;
    }

    private void Check(IReadOnlyList<PortSpec> specs, IReadOnlyDictionary<string, NodeMetadata> actual, string kind)
    {
        var expectedFloat = _element switch
        {
            TensorElement.Fp32 => TensorElementType.Float,
            TensorElement.Fp16 => TensorElementType.Float16,
            _ => TensorElementType.BFloat16,
        };
        foreach (var spec in specs)
        {
            if (!actual.TryGetValue(spec.Name, out var meta))
            {
                throw new Model.ModelFolderException(
                    $"{Path}: graph has no {kind} '{spec.Name}' (it has: {string.Join(", ", actual.Keys)})");
            }

            var wantType = spec.Type switch
            {
                PortType.GraphFloat => expectedFloat,
                PortType.Float32 => TensorElementType.Float,
                _ => TensorElementType.Int64,
            };
            if (!meta.IsTensor || meta.ElementDataType != wantType)
            {
                throw new Model.ModelFolderException(
                    $"{Path}: {kind} '{spec.Name}' is {meta.ElementDataType}, expected {wantType} (manifest dtype {_element})");
            }

            if (meta.Dimensions.Length != spec.Rank)
            {
                throw new Model.ModelFolderException(
                    $"{Path}: {kind} '{spec.Name}' has rank {meta.Dimensions.Length}, expected {spec.Rank}");
            }

            for (var d = 0; spec.Dims is not null && d < spec.Dims.Length; d++)
            {
                // A fixed size in the graph (> 0) must be the manifest's; a dynamic one (-1 or symbolic) accepts any.
                if (spec.Dims[d] is { } want && meta.Dimensions[d] > 0 && meta.Dimensions[d] != want)
                {
                    throw new Model.ModelFolderException(
                        $"{Path}: {kind} '{spec.Name}' has size {meta.Dimensions[d]} in dimension {d}, the manifest says {want}");
                }
            }
        }
    }
}
