namespace Sana.Inference.Text;

/// <summary>
/// A tokenizer file is missing, damaged, or asks for behaviour this tokenizer does not reproduce (another model type,
/// another normalisation). Raised while loading, so a model folder whose ids would drift from transformers' is refused
/// before any job runs; the message names the file and, when one is at fault, the field.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    public TokenizerFormatException() { }

    public TokenizerFormatException(string message) : base(message) { }

    public TokenizerFormatException(string message, Exception innerException) : base(message, innerException) { }

    public TokenizerFormatException(string filePath, string? field, string problem, Exception? innerException = null)
        : base(field is null ? $"{filePath}: {problem}" : $"{filePath}: {field}: {problem}", innerException)
    {
        FilePath = filePath;
        Field = field;
    }

    /// <summary>The file (or the name given for an in-memory source) that could not be used.</summary>
    public string? FilePath { get; }

    /// <summary>The setting at fault, spelled as in the file (e.g. <c>trainer_spec.model_type</c>, <c>model.type</c>).</summary>
    public string? Field { get; }
}
