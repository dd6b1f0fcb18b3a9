using System.Diagnostics;
using System.Globalization;
using Sana.Orleans.Client;
using Sana.Orleans.Jobs;

namespace Sana.Cli.Cluster;

/// <summary>
/// Submits one job and follows it to the end: a progress bar on stderr (images done, images/s, workers busy), each
/// stored image's reference on stdout, and on Ctrl+C the job is cancelled or left running (<see cref="OnInterrupt"/>).
/// </summary>
internal sealed class JobRunner(ISanaClient client, TextWriter output, TextWriter progress, bool drawBar)
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a submission waits for a busy cluster to admit it before giving up with its busy answer.</summary>
    private static readonly TimeSpan AdmissionWait = TimeSpan.FromMinutes(10);

    /// <summary>A runner on the console: the bar only when stderr is a terminal.</summary>
    public static JobRunner OnConsole(ISanaClient client) => new(client, Console.Out, Console.Error, !Console.IsErrorRedirected);

    /// <summary>
    /// Submits and follows the job; <paramref name="header"/> is printed once the cluster has accepted it and
    /// <paramref name="where"/> (where the images are) in the last line.
    /// </summary>
    public async Task<JobRunResult> RunAsync(ImageJobRequest request, string jobId, string header, string where, OnInterrupt onInterrupt, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var bar = new ProgressBar(progress, drawBar);
        try
        {
            // A full cluster answers "busy, retry after": wait our turn (same job id, so nothing runs twice) rather than fail.
            var (_, busyAnswers) = await client.SubmitWhenAdmittedAsync(request, jobId, AdmissionWait, cancellationToken).ConfigureAwait(false);
            await progress.WriteLineAsync(busyAnswers == 0 ? header : $"{header} (admitted after {busyAnswers} busy answer(s))").ConfigureAwait(false);
            TimeSpan? lastStatus = null;
            var workersBusy = 0;
            await foreach (var p in client.WatchAsync(jobId, cancellationToken).ConfigureAwait(false))
            {
                bar.Clear();
                await output.WriteLineAsync(p.Image.ImageReference).ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                if (lastStatus is null || clock.Elapsed - lastStatus.Value >= StatusInterval || p.Completed == p.Total)
                {
                    workersBusy = (await client.GetStatusAsync(jobId, CancellationToken.None).ConfigureAwait(false)).GpusBusy;
                    lastStatus = clock.Elapsed;
                }

                bar.Draw(p.Completed, p.Total, clock.Elapsed, workersBusy);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            bar.Clear();
            return new JobRunResult(await InterruptedAsync(jobId, where, onInterrupt).ConfigureAwait(false), Interrupted: true);
        }

        bar.Clear();
        var status = await client.GetStatusAsync(jobId, CancellationToken.None).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"sana: job {jobId} {status.State.ToString().ToLowerInvariant()}: {status.Completed}/{status.Total} images in {seconds:F1} s ({status.Completed / Math.Max(seconds, 1e-9):F2} images/s){(status.Error is { } e ? ": " + e : "")}")).ConfigureAwait(false);
        return new JobRunResult(status, Interrupted: false);
    }

    private async Task<JobStatus> InterruptedAsync(string jobId, string where, OnInterrupt onInterrupt)
    {
        if (onInterrupt == OnInterrupt.CancelJob)
        {
            // Cancel returns once the job's GPUs have stopped it, so the count is final: nothing is stored after it.
            var cancelled = await client.CancelAsync(jobId, CancellationToken.None).ConfigureAwait(false);
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"sana: interrupted: job {jobId} {(cancelled.State == JobState.Cancelled ? "cancelled" : cancelled.State.ToString().ToLowerInvariant())} with {cancelled.Completed}/{cancelled.Total} image(s) stored {where}")).ConfigureAwait(false);
            return cancelled;
        }

        var status = await client.GetStatusAsync(jobId, CancellationToken.None).ConfigureAwait(false);
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"sana: interrupted: stopped following job {jobId} at {status.Completed}/{status.Total} image(s) stored {where}; it goes on: `sana cancel --job-id {jobId}` with the same --cluster stops it, the same `sana generate` with --job-id {jobId} follows it again")).ConfigureAwait(false);
        return status;
    }

    /// <summary>The one-line progress bar on stderr, cleared before anything else is printed on the terminal.</summary>
    private sealed class ProgressBar(TextWriter writer, bool enabled)
    {
        private bool _shown;

        public void Draw(int done, int total, TimeSpan elapsed, int workersBusy)
        {
            if (!enabled)
            {
                return;
            }

            const int width = 30;
            var filled = total == 0 ? width : done * width / total;
            var rate = done / Math.Max(elapsed.TotalSeconds, 1e-9);
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} images, {rate:F2} images/s, {workersBusy} worker(s) busy\u001b[K"));
            writer.Flush();
            _shown = true;
        }

        public void Clear()
        {
            if (_shown)
            {
                writer.Write("\r\u001b[K");
                writer.Flush();
                _shown = false;
            }
        }
    }
}
