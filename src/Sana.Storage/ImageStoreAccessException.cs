namespace Sana.Storage;

/// <summary>
/// The store refused an image for a reason retrying does not fix soon: the credential may not write there, or the
/// container is missing and cannot be created with it. The message names the container and the blob, never a secret.
/// </summary>
public sealed class ImageStoreAccessException : Exception
{
    public ImageStoreAccessException() { }

    public ImageStoreAccessException(string message) : base(message) { }

    public ImageStoreAccessException(string message, Exception innerException) : base(message, innerException) { }
}
