using Microsoft.ML.OnnxRuntime;
using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>The three graphs of a model folder opened on one device, with the ports the pipeline drives checked.</summary>
internal sealed class ModelSessions : IDisposable
{
    private ModelSessions(OnnxGraph textEncoder, OnnxGraph transformer, TransformerGraphChoice transformerGraph, OnnxGraph vaeDecoder)
    {
        TextEncoder = textEncoder;
        Transformer = transformer;
        TransformerGraph = transformerGraph;
        VaeDecoder = vaeDecoder;
    }

    public OnnxGraph TextEncoder { get; }

    public OnnxGraph Transformer { get; }

    /// <summary>Which of the folder's transformer graphs <see cref="Transformer"/> is, and why.</summary>
    public TransformerGraphChoice TransformerGraph { get; }

    public OnnxGraph VaeDecoder { get; }

    public static ModelSessions Open(ModelFolder folder, PipelineOptions options)
    {
        var m = folder.Manifest;
        using var sessionOptions = SessionFactory.CreateOptions(options);
        OnnxGraph? text = null, transformer = null;
        try
        {
            text = new OnnxGraph(folder.TextEncoderPath, sessionOptions, TensorElementNames.Parse(m.TextEncoder.Dtype),
                [new("input_ids", PortType.Int64, 2), new("attention_mask", PortType.Int64, 2)],
                [new("last_hidden_state", PortType.GraphFloat, 3, [null, null, m.TextEncoder.HiddenSize])]);
            var choice = TransformerGraphSelector.Select(folder, options, out var kernels);
            (transformer, choice) = OpenTransformer(folder, choice, kernels, sessionOptions, options);
            var vae = new OnnxGraph(folder.VaeDecoderPath, sessionOptions, TensorElementNames.Parse(m.VaeDecoder.Dtype),
                [new("latent", PortType.GraphFloat, 4, [null, m.VaeDecoder.LatentChannels, null, null])],
                [new("sample", PortType.GraphFloat, 4, [null, 3, null, null])]);
            return new ModelSessions(text, transformer, choice, vae);
        }
        catch
        {
            text?.Dispose();
            transformer?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the chosen transformer graph, with CUDA graph capture when asked for and possible. A kernels graph that
    /// ONNX Runtime refuses under Auto falls back to the portable graph, and a capture it refuses to running without;
    /// the choice says which and why.
    /// </summary>
    private static (OnnxGraph, TransformerGraphChoice) OpenTransformer(
        ModelFolder folder, TransformerGraphChoice choice, KernelLibrary? kernels, SessionOptions sessionOptions, PipelineOptions options)
    {
        kernels?.Register(sessionOptions);
        if (options.CudaGraphs)
        {
            var (captured, note) = TryOpenCaptured(folder, choice, kernels, options);
            if (captured is not null)
            {
                return (captured, choice with { CudaGraphs = "on" });
            }

            choice = choice with { CudaGraphs = note };
        }

        try
        {
            return (OpenTransformerGraph(folder, choice.Path, sessionOptions), choice);
        }
        catch (ModelFolderException e) when (choice.Kind == TransformerGraphKind.Kernels && options.TransformerGraph == TransformerGraphPreference.Auto)
        {
            var fallback = choice with { Kind = TransformerGraphKind.Portable, Path = folder.TransformerPath, Reason = $"the kernels graph did not load: {e.Message}" };
            return (OpenTransformerGraph(folder, fallback.Path, sessionOptions), fallback);
        }
    }

    /// <summary>The transformer in a session made for CUDA graph capture, or null and why not.</summary>
    private static (OnnxGraph? Graph, string Note) TryOpenCaptured(ModelFolder folder, TransformerGraphChoice choice, KernelLibrary? kernels, PipelineOptions options)
    {
        if (options.Device.Kind != ExecutionProviderKind.Cuda)
        {
            return (null, "not used: they need a CUDA device");
        }

        var problem = "";
        var library = kernels ?? KernelLibrary.Find(options.KernelLibraryPath, out problem);
        if (library is null || !library.HasCuda)
        {
            return (null, $"not used: they need the kernel library with CUDA ({(library is null ? problem : $"{library.Path} has no CUDA")})");
        }

        using var captureOptions = SessionFactory.CreateOptions(options, cudaGraph: true);
        if (choice.Kind == TransformerGraphKind.Kernels)
        {
            library.Register(captureOptions);
        }

        try
        {
            var graph = OpenTransformerGraph(folder, choice.Path, captureOptions);
            graph.UseCudaGraphs(library, options.Device.DeviceId);
            return (graph, "on");
        }
        catch (ModelFolderException e)
        {
            return (null, $"refused by ONNX Runtime ({e.Message})");
        }
    }

    private static OnnxGraph OpenTransformerGraph(ModelFolder folder, string path, SessionOptions sessionOptions)
    {
        var t = folder.Manifest.Transformer;
        return new OnnxGraph(path, sessionOptions, TensorElementNames.Parse(t.Dtype),
            [new("hidden_states", PortType.GraphFloat, 4, [null, t.InChannels, null, null]),
             new("encoder_hidden_states", PortType.GraphFloat, 3, [null, null, t.CaptionChannels]),
             new("encoder_attention_mask", PortType.Int64, 2), new("timestep", PortType.Float32, 1),
             new("pag_layer_mask", PortType.Float32, 1, [t.NumLayers]), new("pag_sample_mask", PortType.Float32, 1)],
            [new("velocity", PortType.GraphFloat, 4, [null, t.OutChannels, null, null])]);
    }

    /// <summary>Ends profiling (see <see cref="PipelineOptions.ProfilePrefix"/>): each graph's role and trace path.</summary>
    public IReadOnlyList<(string Graph, string TracePath)> EndProfiling() =>
        [("text_encoder", TextEncoder.EndProfiling()), ("transformer", Transformer.EndProfiling()), ("vae_decoder", VaeDecoder.EndProfiling())];

    public void Dispose()
    {
        TextEncoder.Dispose();
        Transformer.Dispose();
        VaeDecoder.Dispose();
    }
}
