using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Sana.Orleans.Silo.Options;
using Sana.Orleans.Silo.Web;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The sampler behind the GPU page's charts: a round that cannot list the GPUs records nothing (a gap in the charts),
/// and a run of such rounds logs one warning, not one per interval, then one line when sampling works again.
/// </summary>
public sealed class GpuHistorySamplerTests
{
    [Fact]
    public async Task Failed_rounds_leave_a_gap_and_log_once_per_run_of_failures()
    {
        var gpus = new ScriptedGpuList();
        var history = new GpuHistory(new GpuHistoryOptions(), TimeProvider.System);
        var logs = new CapturedLogs();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        using var sampler = new GpuHistorySampler(history, gpus, new NotStartedLifetime(), TimeProvider.System, loggers.CreateLogger<GpuHistorySampler>());

        gpus.Next = () => throw new TimeoutException("directory unreachable");
        await sampler.SampleAsync(CancellationToken.None);
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Empty(history.Read());
        var warning = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("directory unreachable", warning.Exception, StringComparison.Ordinal);

        gpus.Next = () => [Status("s/gpu0"), Status("s/gpu1")];
        await sampler.SampleAsync(CancellationToken.None);
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Equal(["s/gpu0", "s/gpu1"], history.Read().Select(s => s.GpuId));
        Assert.Equal(2, logs.Entries.Count);
        var resumed = logs.Entries.Last();
        Assert.Equal(LogLevel.Information, resumed.Level);
        Assert.Equal("2", resumed.Values["GpuCount"]);
    }

    private static GpuWorkerStatus Status(string gpuId) =>
        new(gpuId, "s", "cpu", "flat-colour", Capacity: 1, Queued: 0, Busy: false, ImagesPerSecond: 1, ImagesDone: 1,
            ProcessMemoryBytes: 0, GpuHealth.Ready, Error: null, ActivatedOn: "s");

    /// <summary>A client whose GPU list is whatever the test scripts next; the sampler uses nothing else.</summary>
    private sealed class ScriptedGpuList : ISanaClient
    {
        public Func<IReadOnlyList<GpuWorkerStatus>> Next { get; set; } = () => [];

        public Task<IReadOnlyList<GpuWorkerStatus>> ListGpusAsync(CancellationToken cancellationToken = default) => Task.FromResult(Next());

        public Task<string> SubmitAsync(ImageJobRequest request, string? jobId = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<JobProgress> WatchAsync(string jobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<JobImage>> GetImagesAsync(string jobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<JobStatus> CancelAsync(string jobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class NotStartedLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
