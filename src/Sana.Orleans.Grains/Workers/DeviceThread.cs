namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Runs a blocking model call (a load, a warm-up, a chunk's denoising) on a thread of its own. On the thread pool a
/// call that blocks for seconds holds one of its few threads (two on a 2-core silo), and several GPU workers at once
/// starve the Orleans scheduler that delivers the other GPUs' chunks and their results.
/// </summary>
internal static class DeviceThread
{
    public static Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
