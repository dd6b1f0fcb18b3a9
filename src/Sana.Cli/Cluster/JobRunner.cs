using System.Diagnostics;
using System.Globalization;
using Sana.Orleans.Client;
using Sana.Orleans.Jobs;

namespace Sana.Cli.Cluster;

/// <summary>
/// Submits one job and follows it to the end: a progress line on stderr (images done, images/s, GPUs busy), each
/// stored image's reference on stdout, and Ctrl+C cancels the job on the cluster rather than abandoning it.
/// </summary>
internal sealed class JobRunner(ISanaClient client, TextWriter output, TextWriter progress)
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a submission waits for a busy cluster to admit it before giving up with its busy answer.</summary>
    private static readonly TimeSpan AdmissionWait = TimeSpan.FromMinutes(10);

    /// <summary>Submits and follows the job; <paramref name="header"/> is printed once the cluster has accepted it.</summary>
    public async Task<JobStatus> RunAsync(ImageJobRequest request, string jobId, string header, CancellationToken cancellationToken)
    {
        // A full cluster answers "busy, retry after": wait our turn (same job id, so nothing runs twice) rather than fail.
        var (_, busyAnswers) = await client.SubmitWhenAdmittedAsync(request, jobId, AdmissionWait, cancellationToken).ConfigureAwait(false);
        await progress.WriteLineAsync(busyAnswers == 0 ? header : $"{header} (admitted after {busyAnswers} busy answer(s))").ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        TimeSpan? lastStatus = null;
        var gpusBusy = 0;
        var interactive = !Console.IsErrorRedirected;
        try
        {
            await foreach (var p in client.WatchAsync(jobId, cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync(p.Image.ImageReference).ConfigureAwait(false);
                if (lastStatus is null || clock.Elapsed - lastStatus.Value >= StatusInterval || p.Completed == p.Total)
                {
                    gpusBusy = (await client.GetStatusAsync(jobId, CancellationToken.None).ConfigureAwait(false)).GpusBusy;
                    lastStatus = clock.Elapsed;
                }

                if (interactive)
                {
                    await progress.WriteAsync("\r" + Bar(p.Completed, p.Total, clock.Elapsed, gpusBusy)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var cancelled = await client.CancelAsync(jobId, CancellationToken.None).ConfigureAwait(false);
            await progress.WriteLineAsync($"\nsana: job {jobId} cancelled after {cancelled.Completed} image(s)").ConfigureAwait(false);
            return cancelled;
        }

        var status = await client.GetStatusAsync(jobId, CancellationToken.None).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{(interactive ? "\n" : "")}sana: job {jobId} {status.State.ToString().ToLowerInvariant()}: {status.Completed}/{status.Total} images in {seconds:F1} s ({status.Completed / Math.Max(seconds, 1e-9):F2} images/s){(status.Error is { } e ? ": " + e : "")}")).ConfigureAwait(false);
        return status;
    }

    private static string Bar(int done, int total, TimeSpan elapsed, int gpusBusy)
    {
        const int width = 30;
        var filled = total == 0 ? width : done * width / total;
        var rate = done / Math.Max(elapsed.TotalSeconds, 1e-9);
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} images, {rate:F2} images/s, {gpusBusy} GPU(s) busy ");
    }
}
