using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Sana.TestSupport;
using Xunit.Abstractions;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The GPU page in a real browser: headless Chromium (Debian's chromium + chromium-driver) opens /gpus on a running
/// silo, sees a row per GPU, and sees the images-done values move while a job runs, without reloading. A screenshot
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
        await using var silo = await TestSilo.StartAsync("paged");
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
            "--window-size=1400,500", $"--user-data-dir={profile}");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, Bound);
    }
}
