namespace Sana.Inference.Pipeline;

/// <summary>
/// How guidance shapes the transformer batch and combines its predictions, following diffusers: CFG only when the
/// guidance scale is above 1 (SanaPipeline.do_classifier_free_guidance), PAG when its scale is above 0; the batch is
/// [uncond] [cond] [perturbed] slices of n images each, in that order, and the combination is evaluated in float32
/// in the same operation order as torch (u + g (c - u) + p (c - ptb)).
/// </summary>
internal sealed class GuidancePlan
{
    private readonly float _guidance;
    private readonly float _pag;

    public GuidancePlan(GenerationSettings settings)
    {
        UsesCfg = settings.GuidanceScale > 1.0;
        UsesPag = settings.PagScale > 0.0;
        _guidance = (float)settings.GuidanceScale;
        _pag = (float)settings.PagScale;
        var branches = new List<GuidanceBranch>(3);
        if (UsesCfg)
        {
            branches.Add(GuidanceBranch.Unconditional);
        }

        branches.Add(GuidanceBranch.Conditional);
        if (UsesPag)
        {
            branches.Add(GuidanceBranch.Perturbed);
        }

        Branches = branches;
    }

    public bool UsesCfg { get; }

    public bool UsesPag { get; }

    /// <summary>Slices of the transformer batch, each holding every image of the micro-batch once.</summary>
    public IReadOnlyList<GuidanceBranch> Branches { get; }

    /// <summary>
    /// Combines the transformer output [branches * n, C(out), h, w] into the guided velocity [n, C, h, w].
    /// When the model predicts a learned sigma (out channels = 2 C) only the first C channels are used.
    /// </summary>
    public void Combine(ReadOnlySpan<float> prediction, int n, int outChannels, int channels, int plane, Span<float> velocity)
    {
        var perImageOut = outChannels * plane;
        var perImage = channels * plane;
        var sliceOut = n * perImageOut;
        var cond = Branches.IndexOf(GuidanceBranch.Conditional);
        for (var i = 0; i < n; i++)
        {
            var dst = velocity.Slice(i * perImage, perImage);
            var c = prediction.Slice((cond * sliceOut) + (i * perImageOut), perImage);
            if (!UsesCfg && !UsesPag)
            {
                c.CopyTo(dst);
                continue;
            }

            if (UsesCfg && UsesPag)
            {
                var u = prediction.Slice(i * perImageOut, perImage);
                var p = prediction.Slice((2 * sliceOut) + (i * perImageOut), perImage);
                for (var k = 0; k < perImage; k++)
                {
                    var guided = u[k] + (_guidance * (c[k] - u[k]));
                    dst[k] = guided + (_pag * (c[k] - p[k]));
                }
            }
            else if (UsesCfg)
            {
                var u = prediction.Slice(i * perImageOut, perImage);
                for (var k = 0; k < perImage; k++)
                {
                    dst[k] = u[k] + (_guidance * (c[k] - u[k]));
                }
            }
            else
            {
                var p = prediction.Slice(sliceOut + (i * perImageOut), perImage);
                for (var k = 0; k < perImage; k++)
                {
                    dst[k] = c[k] + (_pag * (c[k] - p[k]));
                }
            }
        }
    }
}
