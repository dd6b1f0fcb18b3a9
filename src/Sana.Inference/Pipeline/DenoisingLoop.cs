using Sana.Inference.Model;
using Sana.Inference.Onnx;
using Sana.Inference.Schedulers;

namespace Sana.Inference.Pipeline;

/// <summary>
/// The denoising loop for one micro-batch: seed-exact initial noise per image, one transformer call per step over
/// the guidance branches, guidance, a sampler step. The branch inputs that do not change across steps (text
/// embeddings, masks, PAG masks) are built once per micro-batch.
/// </summary>
internal sealed class DenoisingLoop(
    ModelFolder folder,
    OnnxGraph transformer,
    SchedulerConfig scheduler,
    GenerationSettings settings,
    GuidancePlan guidance,
    PromptEmbedding cond,
    PromptEmbedding? uncond)
{
    /// <summary>
    /// Runs every step for <paramref name="batch"/> and returns the final latents [n, C, h, w]; <paramref name="onStep"/>
    /// sees the latents after each step (progress, and the tests that compare them with diffusers step by step).
    /// </summary>
    public float[] Run(ImageSeed[] batch, Action<int, float[]> onStep, CancellationToken cancellationToken)
    {
        var m = folder.Manifest.Transformer;
        var n = batch.Length;
        var channels = folder.LatentChannels;
        var h = settings.Height / folder.PixelFactor;
        var w = settings.Width / folder.PixelFactor;
        var plane = h * w;
        var perImage = channels * plane;

        var latents = new float[n * perImage];
        for (var i = 0; i < n; i++)
        {
            Noise.LatentNoise.Fill(batch[i].Seed, latents.AsSpan(i * perImage, perImage));
        }

        var branches = guidance.Branches;
        var rows = branches.Count * n;
        var (text, mask) = BuildTextInputs(branches, n);
        var pagLayers = new float[m.NumLayers];
        if (guidance.UsesPag)
        {
            foreach (var layer in settings.PagLayers)
            {
                pagLayers[layer] = 1f;
            }
        }

        var pagSamples = new float[rows];
        for (var b = 0; b < branches.Count; b++)
        {
            if (branches[b] == GuidanceBranch.Perturbed)
            {
                pagSamples.AsSpan(b * n, n).Fill(1f);
            }
        }

        var sampler = SamplerFactory.Create(settings.Sampler, scheduler, settings.Steps, settings.FlowShift);
        var hidden = new float[rows * perImage];
        var timestep = new float[rows];
        var velocity = new float[n * perImage];
        var hiddenShape = new long[] { rows, channels, h, w };

        // What the transformer reads unchanged at every step is converted to the graph's dtype and bound (copied to
        // the device) once per micro-batch.
        using var textInput = transformer.Prepare("encoder_hidden_states", new HostTensor(text, [rows, cond.Rows, cond.Hidden]));
        using var maskInput = OnnxGraph.Prepare("encoder_attention_mask", mask, [rows, cond.Rows]);
        using var pagLayerInput = transformer.Prepare("pag_layer_mask", new HostTensor(pagLayers, [pagLayers.Length]));
        using var pagSampleInput = transformer.Prepare("pag_sample_mask", new HostTensor(pagSamples, [rows]));
        using var steps = transformer.Bind([textInput, maskInput, pagLayerInput, pagSampleInput], ["velocity"], [[rows, m.OutChannels, h, w]]);
        for (var step = 0; step < sampler.Timesteps.Count; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var b = 0; b < branches.Count; b++)
            {
                latents.CopyTo(hidden, b * n * perImage);
            }

            Array.Fill(timestep, (float)(sampler.Timesteps[step] * (float)m.TimestepScale));
            using var hiddenInput = transformer.Prepare("hidden_states", new HostTensor(hidden, hiddenShape));
            using var timestepInput = transformer.Prepare("timestep", new HostTensor(timestep, [rows]));
            var prediction = steps.Run([hiddenInput, timestepInput], cancellationToken)[0];
            guidance.Combine(prediction.Data, n, m.OutChannels, channels, plane, velocity);
            sampler.Step(step, velocity, latents);
            onStep(step, latents);
        }

        return latents;
    }

    private (float[] Text, long[] Mask) BuildTextInputs(IReadOnlyList<GuidanceBranch> branches, int n)
    {
        var perRow = cond.Embeds.Length;
        var text = new float[branches.Count * n * perRow];
        var mask = new long[branches.Count * n * cond.Rows];
        for (var b = 0; b < branches.Count; b++)
        {
            var source = branches[b] == GuidanceBranch.Unconditional ? uncond! : cond;
            if (source.Rows != cond.Rows)
            {
                throw new InvalidOperationException($"negative prompt embedding has {source.Rows} rows, the prompt's has {cond.Rows}");
            }

            for (var i = 0; i < n; i++)
            {
                var row = (b * n) + i;
                source.Embeds.CopyTo(text, row * perRow);
                source.Mask.CopyTo(mask, row * cond.Rows);
            }
        }

        return (text, mask);
    }
}
