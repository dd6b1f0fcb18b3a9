namespace Sana.Inference.Model;

/// <summary>
/// A model folder is missing a file or disagrees with itself. Raised at load time, before any work is accepted,
/// and always names the file (and field or graph input) at fault.
/// </summary>
public sealed class ModelFolderException : Exception
{
    public ModelFolderException() { }

    public ModelFolderException(string message) : base(message) { }

    public ModelFolderException(string message, Exception innerException) : base(message, innerException) { }
}
