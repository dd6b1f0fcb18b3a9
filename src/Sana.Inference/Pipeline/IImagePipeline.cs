namespace Sana.Inference.Pipeline;

/// <summary>
/// One loaded model on one device: turns (settings, seeds) into pixels. The GPU grain owns exactly one of these.
/// Image i depends only on the model, the settings and its own seed, never on which other seeds shared its call,
/// so callers may split and regroup work freely (micro-batches, GPUs, retries).
/// Calls block (ONNX Runtime is synchronous) and are not re-entrant: one call at a time per instance.
/// </summary>
public interface IImagePipeline : IDisposable
{
    /// <summary>What is loaded: name, latent geometry, pixel factor, the device it runs on.</summary>
    ModelDescription Model { get; }

    /// <summary>
    /// Generates one image per entry of <paramref name="seeds"/>, in that order, running at most
    /// <paramref name="microBatchSize"/> images through the transformer at once.
    /// </summary>
    /// <exception cref="GenerationRequestException">a setting is out of range for this model (nothing is generated).</exception>
    /// <exception cref="OperationCanceledException">cancelled between denoising steps.</exception>
    IReadOnlyList<GeneratedImage> Generate(
        GenerationSettings settings,
        IReadOnlyList<ImageSeed> seeds,
        int microBatchSize,
        IProgress<PipelineProgress>? progress,
        CancellationToken cancellationToken);
}
