using Sana.Inference.Model;
using Sana.Inference.Onnx;
using Sana.Inference.Schedulers;
using Sana.Inference.Text;

namespace Sana.Inference.Pipeline;

/// <summary>
/// Sana text-to-image on ONNX Runtime, reproducing diffusers' SanaPipeline and SanaPAGPipeline image for image:
/// tokenize, encode the prompt once, draw each image's noise from its own seed, denoise with CFG/PAG and a
/// flow-matching sampler, decode with DC-AE. One instance owns one session set on one device.
/// </summary>
public sealed class SanaPipeline : IImagePipeline
{
    private readonly ModelFolder _folder;
    private readonly ModelSessions _sessions;
    private readonly PromptEncoder _prompts;
    private readonly SchedulerConfig _scheduler;
    private readonly LatentDecoder _decoder;
    private readonly Lock _runGate = new();

    private SanaPipeline(ModelFolder folder, ModelSessions sessions, SanaPromptTokenizer tokenizer, SchedulerConfig scheduler, PipelineOptions options)
    {
        _folder = folder;
        _sessions = sessions;
        _scheduler = scheduler;
        _decoder = new LatentDecoder(folder, sessions.VaeDecoder, options.DecodeTiling);
        var m = folder.Manifest;
        _prompts = new PromptEncoder(sessions.TextEncoder, tokenizer, m.TextEncoder.HiddenSize);
        Model = new ModelDescription(m.Name, folder.LatentChannels, folder.PixelFactor, m.Transformer.NumLayers, options.Device.ToString(),
            m.Transformer.SampleSize * m.VaeDecoder.SpatialCompressionRatio, sessions.TransformerGraph.ToString());
    }

    public ModelDescription Model { get; }

    /// <summary>Which transformer graph runs (the kernels graph or the portable one) and why.</summary>
    public TransformerGraphChoice TransformerGraph => _sessions.TransformerGraph;

    /// <summary>The prompt encoder with its cache (tests compare its embeddings with diffusers').</summary>
    internal PromptEncoder Prompts => _prompts;

    /// <summary>Sees each micro-batch's latents after every step (tests compare them with diffusers').</summary>
    internal Action<int, float[]>? StepObserver { get; set; }

    /// <summary>The checked model folder this pipeline runs.</summary>
    public ModelFolder Folder => _folder;

    /// <summary>Text-encoder runs so far; prompt embeddings are cached, so this grows by prompts, not images.</summary>
    public int TextEncoderRuns => _prompts.EncoderRuns;

    /// <summary>
    /// Loads and checks a model folder and opens its three sessions on the device. Every problem (missing file,
    /// wrong graph signature, no CUDA provider) surfaces here, before any work is accepted; options that do not fit the
    /// model (<see cref="PipelineOptions.DecodeTiling"/>) throw <see cref="ArgumentException"/> naming the field.
    /// </summary>
    public static SanaPipeline Load(string modelFolder, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.DecodeTiling);
        var folder = ModelFolder.Load(modelFolder);
        options.DecodeTiling.Validate(folder.PixelFactor);
        var t = folder.Manifest.Tokenizer;
        SanaPromptTokenizer tokenizer;
        SchedulerConfig scheduler;
        try
        {
            tokenizer = new SanaPromptTokenizer(
                GemmaTokenizer.Load(folder.TokenizerModelPath, folder.TokenizerJsonPath), t.ComplexHumanInstruction, t.MaxSequenceLength, t.BosId, t.PadId);
            scheduler = SchedulerConfig.Parse(folder.Manifest.Scheduler);
        }
        catch (Exception e) when (e is TokenizerFormatException or SchedulerConfigException or IOException)
        {
            throw new ModelFolderException($"{folder.Root}: {e.Message}", e);
        }

        var sessions = ModelSessions.Open(folder, options);
        return new SanaPipeline(folder, sessions, tokenizer, scheduler, options);
    }

    public IReadOnlyList<GeneratedImage> Generate(
        GenerationSettings settings,
        IReadOnlyList<ImageSeed> seeds,
        int microBatchSize,
        IProgress<PipelineProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        GenerationLimits.Validate(settings, Model);
        if (microBatchSize < 1)
        {
            throw new GenerationRequestException("batch_size", $"{microBatchSize} must be at least 1");
        }

        lock (_runGate)
        {
            var guidance = new GuidancePlan(settings);
            var cond = _prompts.Encode(settings.Prompt, negative: false, cancellationToken);
            var uncond = guidance.UsesCfg ? _prompts.Encode(settings.NegativePrompt, negative: true, cancellationToken) : null;
            var loop = new DenoisingLoop(_folder, _sessions.Transformer, _scheduler, settings, guidance, cond, uncond);
            var images = new List<GeneratedImage>(seeds.Count);
            var stepsTotal = settings.Steps * ((seeds.Count + microBatchSize - 1) / microBatchSize);
            var stepsDone = 0;
            for (var start = 0; start < seeds.Count; start += microBatchSize)
            {
                var batch = seeds.Skip(start).Take(microBatchSize).ToArray();
                var latents = loop.Run(
                    batch,
                    (step, current) =>
                    {
                        StepObserver?.Invoke(step, current);
                        progress?.Report(new PipelineProgress(++stepsDone, stepsTotal, images.Count, seeds.Count));
                    },
                    cancellationToken);
                images.AddRange(_decoder.Decode(latents, batch, settings.Width, settings.Height, cancellationToken));
                progress?.Report(new PipelineProgress(stepsDone, stepsTotal, images.Count, seeds.Count));
            }

            return images;
        }
    }

    /// <summary>
    /// Closes the ONNX Runtime traces of a pipeline loaded with <see cref="PipelineOptions.ProfilePrefix"/> and
    /// returns each graph's trace ("text_encoder", "transformer", "vae_decoder"). Once only: ONNX Runtime does not
    /// restart profiling on an open session.
    /// </summary>
    public IReadOnlyList<(string Graph, string TracePath)> EndProfiling()
    {
        lock (_runGate)
        {
            return _sessions.EndProfiling();
        }
    }

    public void Dispose() => _sessions.Dispose();
}
