using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Sana.Orleans.Silo.Web;
using Sana.TestSupport;
using Xunit.Abstractions;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The GPU page in a real browser: headless Chromium (Debian's chromium + chromium-driver) opens /gpus on a running
/// silo, sees a row per GPU, and sees the images-done values move while a job runs, without reloading; under the table
/// each GPU has its history charts (images/s, busy share), which fill with the silo's samples of that job. A screenshot
/// is kept under TestResults/screenshots. Chromium is installed on first use (.ci/install-chromium.sh).
/// </summary>
public sealed class GpuPageBrowserTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ChromeDriver = "/usr/bin/chromedriver";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_gpu_page_lists_every_gpu_with_live_load_in_headless_chromium()
    {
        await TestInstalls.ChromiumAsync(); // apt-get on first use, so the README's `dotnet test` needs no setup step
        Assert.True(File.Exists(Chromium) && File.Exists(ChromeDriver),
            $"{Chromium} or {ChromeDriver} is missing: run `bash .ci/install-chromium.sh` (apt-get install chromium chromium-driver)");
        // Sampled every second, so the charts pick up the job within the test's patience rather than the default interval.
        await using var silo = await TestSilo.StartAsync("paged", new Dictionary<string, string> { ["Sana:Silo:GpuHistory:SampleInterval"] = "00:00:01" });
        var grains = silo.App.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(2).WaitAsync(Bound);
        var profile = Directory.CreateTempSubdirectory("sana-chromium-").FullName;
        try
        {
            using var driver = StartChromium(profile);
            driver.Navigate().GoToUrl(new Uri(silo.HttpAddress, GpuPage()));
            var wait = new WebDriverWait(driver, Bound);
            wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
            wait.Until(d => Rows(d).Length == 2);
            Assert.Equal(["paged/gpu0", "paged/gpu1"], Rows(driver));
            Assert.All(Cells(driver, "health"), h => Assert.Equal("Ready", h));
            Assert.All(Cells(driver, "imagesDone"), d => Assert.Equal("0", d));

            // A chart pair per GPU from the start, with its axes labelled: units, the window's start and now.
            wait.Until(d => Charts(d).Select(c => c.Gpu).SequenceEqual(["paged/gpu0", "paged/gpu1"]));
            Assert.All(Charts(driver), chart =>
            {
                Assert.Equal(["imagesPerSecond", "busyFraction"], chart.Series.Select(s => s.Series));
                Assert.Contains("images/s", chart.Series[0].Labels);
                Assert.Contains("busy %", chart.Series[1].Labels);
                Assert.Contains("100 %", chart.Series[1].Labels);
                Assert.All(chart.Series, s => Assert.Contains("now", s.Labels));
                Assert.All(chart.Series, s => Assert.Contains("\u221215 min", s.Labels));
            });

            // A job runs while the page is open: the next polls show its images, with no reload.
            var sana = silo.App.Services.GetRequiredService<ISanaClient>();
            var jobId = await sana.SubmitAsync(new ImageJobRequest { Prompt = "paged", Count = 8, Width = 64, Height = 64, Steps = 1, Seed = 5 }, "paged-job");
            await sana.WatchAsync(jobId).ToListAsync().AsTask().WaitAsync(Bound);
            Assert.Equal(JobState.Completed, (await sana.GetStatusAsync(jobId)).State);
            // At least 8: an idle GPU may also re-run a straggler's chunk, and the page counts GPU work.
            wait.Until(d => Cells(d, "imagesDone").Sum(int.Parse) >= 8);
            Assert.True(Cells(driver, "imagesPerSecond").Sum(r => double.Parse(r, System.Globalization.CultureInfo.InvariantCulture)) > 0, "images/s after the job");
            Assert.All(Cells(driver, "memoryUsed"), m => Assert.EndsWith("B", m, StringComparison.Ordinal));
            Assert.All(Cells(driver, "queued"), q => Assert.Equal("0", q));
            Assert.Contains("as seen from silo paged", driver.FindElement(By.Id("status")).Text, StringComparison.Ordinal);

            // The charts show the silo's samples of that job: each GPU that worked has a line with a non-zero images/s
            // and busy share, every sample is drawn, and the page holds no more than the silo's history has.
            var worked = Rows(driver).Zip(Cells(driver, "imagesDone"), (gpu, done) => (gpu, done: int.Parse(done, CultureInfo.InvariantCulture)))
                .Where(r => r.done > 0).Select(r => r.gpu).ToHashSet();
            Assert.NotEmpty(worked);
            wait.Until(d => Charts(d) is var charts && charts.Length == 2 && charts.All(c => c.Series.All(s => s.Points >= 2))
                && charts.Where(c => worked.Contains(c.Gpu)).All(c => c.Series.All(s => s.Peak > 0)));
            var shown = Charts(driver);
            Assert.All(shown, c => Assert.All(c.Series, s => Assert.Equal(s.Points, s.Drawn)));
            using var http = new HttpClient { BaseAddress = silo.HttpAddress };
            var history = await http.GetFromJsonAsync<GpuHistorySnapshot>(Web.GpuPage.HistoryApiPath, JsonSerializerOptions.Web);
            Assert.Equal(1, history!.SampleIntervalSeconds);
            Assert.Equal(["paged/gpu0", "paged/gpu1"], history.Gpus.Select(g => g.GpuId));
            foreach (var chart in shown)
            {
                var samples = history.Gpus.Single(g => g.GpuId == chart.Gpu);
                Assert.InRange(chart.Series[0].Points, 2, samples.At.Length);
                Assert.InRange(chart.Series[0].Peak, 0.0, samples.ImagesPerSecond.Max());
                Assert.InRange(chart.Series[1].Peak, 0.0, samples.BusyFraction.Max());
            }

            var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
            Directory.CreateDirectory(folder);
            var shot = Path.Combine(folder, "gpu-page.png");
            ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(shot);
            output.WriteLine($"screenshot of the GPU page: {shot}");
            Console.WriteLine($"screenshot of the GPU page: {shot}");
            Assert.True(new FileInfo(shot).Length > 1000);
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    private static Uri GpuPage() => new(Web.GpuPage.PagePath, UriKind.Relative);

    /// <summary>
    /// Every GPU's chart card read in one script run, as the table is: per series its sample count and peak (the data
    /// the page drew from), the vertices it actually drew, and the texts of its axes.
    /// </summary>
    private static GpuChart[] Charts(IWebDriver driver) =>
        JsonSerializer.Deserialize<GpuChart[]>((string)((IJavaScriptExecutor)driver).ExecuteScript("""
            return JSON.stringify(Array.from(document.querySelectorAll('#charts .gpu-chart')).map(card => ({
              gpu: card.dataset.gpu,
              series: Array.from(card.querySelectorAll('svg[data-series]')).map(svg => ({
                series: svg.dataset.series,
                points: Number(svg.dataset.points),
                peak: Number(svg.dataset.peak),
                drawn: Array.from(svg.querySelectorAll('polyline.line')).reduce((n, p) => n + p.points.numberOfItems, 0)
                  + svg.querySelectorAll('circle.point').length,
                labels: Array.from(svg.querySelectorAll('text')).map(t => t.textContent)
              }))
            })));
            """)!, JsonSerializerOptions.Web)!;

    private sealed record GpuChart(string Gpu, ChartSeries[] Series);

    private sealed record ChartSeries(string Series, int Points, double Peak, int Drawn, string[] Labels);

    /// <summary>
    /// One column of the table read in a single script run: the page re-renders every second, so element handles
    /// read one by one from C# can go stale between two reads; a script sees one consistent table.
    /// </summary>
    private static string[] Cells(IWebDriver driver, string field) =>
        [.. ((IReadOnlyCollection<object>)((IJavaScriptExecutor)driver).ExecuteScript(
            "return Array.from(document.querySelectorAll(`#gpus tbody td[data-field='${arguments[0]}']`)).map(c => c.textContent.trim());", field)!)
            .Select(o => (string)o)];

    private static string[] Rows(IWebDriver driver) =>
        [.. ((IReadOnlyCollection<object>)((IJavaScriptExecutor)driver).ExecuteScript(
            "return Array.from(document.querySelectorAll('#gpus tbody tr')).map(r => r.getAttribute('data-gpu'));")!)
            .Select(o => (string)o)];

    private static ChromeDriver StartChromium(string profile)
    {
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            "--window-size=1400,900", $"--user-data-dir={profile}");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, Bound);
    }
}
