namespace Sana.Inference.Pipeline;

/// <summary>The role of one slice of the transformer batch.</summary>
internal enum GuidanceBranch
{
    /// <summary>Negative-prompt (unconditional) prediction, present with classifier-free guidance.</summary>
    Unconditional,

    /// <summary>Prompt-conditioned prediction, always present.</summary>
    Conditional,

    /// <summary>Prompt-conditioned with identity self-attention in the PAG layers, present with PAG.</summary>
    Perturbed,
}
