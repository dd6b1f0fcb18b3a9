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
                [new("last_hidden_state", PortType.GraphFloat, 3)]);
            transformer = new OnnxGraph(folder.TransformerPath, sessionOptions, TensorElementNames.Parse(m.Transformer.Dtype),
                [new("hidden_states", PortType.GraphFloat, 4), new("encoder_hidden_states", PortType.GraphFloat, 3),
                 new("encoder_attention_mask", PortType.Int64, 2), new("timestep", PortType.Float32, 1),
                 new("pag_layer_mask", PortType.Float32, 1), new("pag_sample_mask", PortType.Float32, 1)],
                [new("velocity", PortType.GraphFloat, 4)]);
            var vae = new OnnxGraph(folder.VaeDecoderPath, sessionOptions, TensorElementNames.Parse(m.VaeDecoder.Dtype),
                [new("latent", PortType.GraphFloat, 4)],
                [new("sample", PortType.GraphFloat, 4)]);
            return new ModelSessions(text, transformer, vae);
        }
        catch
        {
            text?.Dispose();
            transformer?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        Transformer.Dispose();
        VaeDecoder.Dispose();
    }
}
