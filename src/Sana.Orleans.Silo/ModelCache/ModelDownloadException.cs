namespace Sana.Orleans.Silo.ModelCache;

/// <summary>
/// The model could not be fetched or did not check out (a file missing, a SHA-256 that differs, no access). The silo
/// does not start; the message is one line that names the file (and both hashes), with every URL redacted.
/// </summary>
public sealed class ModelDownloadException : Exception
{
    public ModelDownloadException() { }

    public ModelDownloadException(string message) : base(message) { }

    public ModelDownloadException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The model error inside what a host start threw (itself, or one of an aggregate's), or null.</summary>
    public static ModelDownloadException? Find(Exception? e) => e switch
    {
        ModelDownloadException m => m,
        AggregateException a => a.InnerExceptions.Select(Find).FirstOrDefault(m => m is not null),
        _ => null,
    };
}
