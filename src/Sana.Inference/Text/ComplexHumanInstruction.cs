namespace Sana.Inference.Text;

/// <summary>
/// The "complex human instruction" (CHI) Sana's text encoder was trained behind: lines joined by "\n" and written
/// before every positive prompt. The exporter writes these lines into the manifest; the runtime uses the manifest's
/// lines, so a model trained with another instruction only needs another manifest.
/// </summary>
public static class ComplexHumanInstruction
{
    /// <summary>diffusers' SanaPipeline default (<c>complex_human_instruction</c> of <c>__call__</c>), verbatim.</summary>
    public static IReadOnlyList<string> DiffusersDefault { get; } =
    [
        "Given a user prompt, generate an 'Enhanced prompt' that provides detailed visual descriptions suitable for image generation. Evaluate the level of detail in the user prompt:",
        "- If the prompt is simple, focus on adding specifics about colors, shapes, sizes, textures, and spatial relationships to create vivid and concrete scenes.",
        "- If the prompt is already detailed, refine and enhance the existing details slightly without overcomplicating.",
        "Here are examples of how to transform or refine prompts:",
        "- User Prompt: A cat sleeping -> Enhanced: A small, fluffy white cat curled up in a round shape, sleeping peacefully on a warm sunny windowsill, surrounded by pots of blooming red flowers.",
        "- User Prompt: A busy city street -> Enhanced: A bustling city street scene at dusk, featuring glowing street lamps, a diverse crowd of people in colorful clothing, and a double-decker bus passing by towering glass skyscrapers.",
        "Please generate only the enhanced description for the prompt below and avoid including any additional commentary or evaluations:",
        "User Prompt: ",
    ];

    /// <summary>The text written before the prompt: the lines joined by "\n" (empty when there are none).</summary>
    public static string Join(IReadOnlyList<string> lines) => string.Join('\n', lines);
}
