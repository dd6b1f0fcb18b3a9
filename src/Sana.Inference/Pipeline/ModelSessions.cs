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
            (transformer, choice) = OpenTransformer(folder, choice, kernels, sessionOptions, options.TransformerGraph);
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
    /// Opens the chosen transformer graph; a kernels graph that ONNX Runtime refuses under Auto falls back to the portable
    /// graph, with the refusal as the reason.
    /// </summary>
    private static (OnnxGraph, TransformerGraphChoice) OpenTransformer(
        ModelFolder folder, TransformerGraphChoice choice, KernelLibrary? kernels, Microsoft.ML.OnnxRuntime.SessionOptions sessionOptions, TransformerGraphPreference preference)
    {
        if (kernels is not null)
        {
            kernels.Register(sessionOptions);
        }

        try
        {
            return (OpenTransformerGraph(folder, choice.Path, sessionOptions), choice);
        }
        catch (ModelFolderException e) when (choice.Kind == TransformerGraphKind.Kernels && preference == TransformerGraphPreference.Auto)
        {
            var fallback = new TransformerGraphChoice(TransformerGraphKind.Portable, folder.TransformerPath, $"the kernels graph did not load: {e.Message}");
            return (OpenTransformerGraph(folder, fallback.Path, sessionOptions), fallback);
        }
    }

    private static OnnxGraph OpenTransformerGraph(ModelFolder folder, string path, Microsoft.ML.OnnxRuntime.SessionOptions sessionOptions)
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
