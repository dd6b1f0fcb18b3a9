namespace Sana.Inference.Pipeline;

/// <summary>
/// A request setting is outside what the model or the runtime accepts. The message names the field and its limit,
/// e.g. "width: 1000 is not a multiple of 32"; <see cref="Field"/> carries the field alone for clients that map it.
/// </summary>
public sealed class GenerationRequestException : Exception
{
    public GenerationRequestException() { }

    public GenerationRequestException(string message) : base(message) { }

    public GenerationRequestException(string message, Exception innerException) : base(message, innerException) { }

    public GenerationRequestException(string field, string problem) : base($"{field}: {problem}") => Field = field;

    /// <summary>The request field at fault (prompt, width, steps, ...), when one is.</summary>
    public string? Field { get; }
}
