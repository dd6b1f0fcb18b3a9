namespace Sana.Inference.Pipeline;

/// <summary>Progress inside one Generate call: denoising steps done over all micro-batches.</summary>
public readonly record struct PipelineProgress(int StepsDone, int StepsTotal, int ImagesDone, int ImagesTotal);
