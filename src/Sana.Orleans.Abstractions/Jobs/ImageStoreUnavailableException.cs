namespace Sana.Orleans.Jobs;

/// <summary>The image store stayed unavailable past the retry budget. Not the GPU's fault: it does not count against its health.</summary>
[GenerateSerializer]
[Alias("sana.ImageStoreUnavailableException")]
public sealed class ImageStoreUnavailableException : Exception
{
    public ImageStoreUnavailableException() { }

    public ImageStoreUnavailableException(string message) : base(message) { }

    public ImageStoreUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
