using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>The three graphs of a model folder opened on one device, with the ports the pipeline drives checked.</summary>
internal sealed class ModelSessions : IDisposable
{
    private ModelSessions(OnnxGraph textEncoder, OnnxGraph transformer, OnnxGraph vaeDecoder)
    {
        TextEncoder = textEncoder;
        Transformer = transformer;
        VaeDecoder = vaeDecoder;
    }

    public OnnxGraph TextEncoder { get; }

    public OnnxGraph Transformer { get; }

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
            transformer = new OnnxGraph(folder.TransformerPath, sessionOptions, TensorElementNames.Parse(m.Transformer.Dtype),
                [new("hidden_states", PortType.GraphFloat, 4, [null, m.Transformer.InChannels, null, null]),
                 new("encoder_hidden_states", PortType.GraphFloat, 3, [null, null, m.Transformer.CaptionChannels]),
                 new("encoder_attention_mask", PortType.Int64, 2), new("timestep", PortType.Float32, 1),
                 new("pag_layer_mask", PortType.Float32, 1, [m.Transformer.NumLayers]), new("pag_sample_mask", PortType.Float32, 1)],
                [new("velocity", PortType.GraphFloat, 4, [null, m.Transformer.OutChannels, null, null])]);
            var vae = new OnnxGraph(folder.VaeDecoderPath, sessionOptions, TensorElementNames.Parse(m.VaeDecoder.Dtype),
                [new("latent", PortType.GraphFloat, 4, [null, m.VaeDecoder.LatentChannels, null, null])],
                [new("sample", PortType.GraphFloat, 4, [null, 3, null, null])]);
            return new ModelSessions(text, transformer, vae);
        }
        catch
        {
            text?.Dispose();
            transformer?.Dispose();
            throw;
        }
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
