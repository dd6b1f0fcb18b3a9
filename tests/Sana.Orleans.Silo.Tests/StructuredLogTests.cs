using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Silo.Tests;

/// <summary>Logs that concern a chunk carry JobId, GpuId and image indices; Sana:Logging:Format=json writes JSON lines with them.</summary>
public sealed class StructuredLogTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_line_a_chunk_logs_names_its_job_gpu_and_images_and_json_format_carries_them()
    {
        var logs = new CapturedLogs();
        await using var silo = await TestSilo.StartAsync("logged", new Dictionary<string, string>
        {
            ["Sana:Logging:Format"] = "Json",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Sana"] = "Debug",
        }, configureHost: h => h.Logging.AddProvider(logs));
        await silo.App.Services.GetRequiredService<IGrainFactory>().GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(2).WaitAsync(Bound);
        var sana = silo.App.Services.GetRequiredService<ISanaClient>();
        var jobId = await sana.SubmitAsync(new ImageJobRequest { Prompt = "logged", Count = 4, Width = 64, Height = 64, Steps = 1, Seed = 1 }, "logged-job");
        await sana.WatchAsync(jobId).ToListAsync().AsTask().WaitAsync(Bound);

        var chunkLines = logs.Entries.Where(e => e.Category.Contains("GpuWorkerGrain", StringComparison.Ordinal) && e.Values.ContainsKey("JobId")).ToArray();
        Assert.NotEmpty(chunkLines);
        Assert.All(chunkLines, e =>
        {
            Assert.Equal(jobId, e.Values["JobId"]);
            Assert.StartsWith("logged/gpu", e.Values["GpuId"], StringComparison.Ordinal);
            Assert.True(e.Values.ContainsKey("ImageIndices"), e.ToString());
        });
        var stored = logs.Entries.Where(e => e.Category.Contains("GpuWorkerGrain", StringComparison.Ordinal) && e.Message.Contains(" stored as ", StringComparison.Ordinal)).ToArray();
        Assert.All(stored, e => Assert.Equal(jobId, e.Values["JobId"]));
        Assert.All(stored, e => Assert.Equal(e.Values["ImageIndex"], e.Values["ImageIndices"]));
        Assert.Equal(["0", "1", "2", "3"], stored.Select(e => e.Values["ImageIndex"]).Distinct().Order()); // a straggler's copy may store one twice

        // The console formatter the silo chose writes one JSON object per line, scopes included.
        var options = silo.App.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        Assert.Equal(ConsoleFormatterNames.Json, options.FormatterName);
        var json = silo.App.Services.GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Json);
        var scopes = new LoggerExternalScopeProvider();
        using var writer = new StringWriter();
        using (scopes.Push(new Dictionary<string, object> { ["JobId"] = jobId, ["GpuId"] = "logged/gpu0", ["ImageIndex"] = 3 }))
        {
            json.Write(new LogEntry<string>(LogLevel.Information, "Sana.Test", new EventId(1), "stored", null, (s, _) => s), scopes, writer);
        }

        using var line = JsonDocument.Parse(writer.ToString());
        var scope = line.RootElement.GetProperty("Scopes")[0];
        Assert.Equal(jobId, scope.GetProperty("JobId").GetString());
        Assert.Equal(3, scope.GetProperty("ImageIndex").GetInt32());
    }
}
