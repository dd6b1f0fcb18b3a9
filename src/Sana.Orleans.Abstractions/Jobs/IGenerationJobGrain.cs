namespace Sana.Orleans.Jobs;

/// <summary>
/// One job, keyed by its id. Submitting the same id again with the same request returns the running job (it is not
/// run twice); a different request under a used id is rejected.
/// </summary>
[Alias("sana.IGenerationJobGrain")]
public interface IGenerationJobGrain : IGrainWithStringKey
{
    /// <summary>Validates and starts the job; throws <see cref="JobRequestException"/> on bad input (nothing stored).</summary>
    [Alias("Submit")]
    Task<JobStatus> Submit(ImageJobRequest request);

    [AlwaysInterleave]
    [Alias("GetStatus")]
    Task<JobStatus> GetStatus();

    /// <summary>Stops dispatching and cancels the chunks on the GPUs; images already stored stay.</summary>
    [AlwaysInterleave]
    [Alias("Cancel")]
    Task<JobStatus> Cancel();

    /// <summary>Every image finished so far, by index.</summary>
    [AlwaysInterleave]
    [Alias("GetImages")]
    Task<JobImage[]> GetImages();

    /// <summary>
    /// The job's images as they finish: first those already done, then each new one; ends when the job ends
    /// (completed, cancelled or failed: ask <see cref="GetStatus"/> which).
    /// </summary>
    [AlwaysInterleave]
    [Alias("Watch")]
    IAsyncEnumerable<JobImage> Watch(CancellationToken cancellationToken = default);
}
