namespace Sana.Inference.Pipeline;

/// <summary>
/// What a loaded pipeline serves. <paramref name="NativeSize"/>: the side in pixels the model was trained at (the
/// transformer's sample size times the decoder's compression: 1024 for Sana 1600M 1024px), 0 when not known.
/// <paramref name="TransformerGraph"/>: which transformer graph runs and why (<see cref="TransformerGraphChoice"/>), for
/// logs; empty when not known.
/// </summary>
public sealed record ModelDescription(
    string Name,
    int LatentChannels,
    int PixelFactor,
    int NumLayers,
    string Device,
    int NativeSize = 0,
    string TransformerGraph = "");
