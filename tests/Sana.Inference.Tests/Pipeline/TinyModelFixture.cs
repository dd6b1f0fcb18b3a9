using Sana.Inference.Model;
using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>
/// The bundled tiny model's three graphs opened on the CPU once for a test class (its DC-AE decoder has pixel factor 4
/// and 8 latent channels; its transformer 3 layers and 32 caption channels).
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    public TinyModelFixture()
    {
        Folder = ModelFolder.Load(ModelPath);
        Sessions = ModelSessions.Open(Folder, new PipelineOptions());
    }

    public static string ModelPath => Path.Combine(FixturePaths.TinySana, "model");

    internal ModelFolder Folder { get; }

    internal ModelSessions Sessions { get; }

    internal TransformerSection Transformer => Folder.Manifest.Transformer;

    internal LatentDecoder Decoder(DecodeTiling tiling) => new(Folder, Sessions.VaeDecoder, tiling);

    public void Dispose() => Sessions.Dispose();
}
