using System.Net;
using Microsoft.Extensions.Options;
using Sana.Inference.Onnx;
using Sana.Inference.Pipeline;
using Sana.Orleans.Silo.ModelCache;

namespace Sana.Orleans.Silo.Options;

/// <summary>Rejects an unusable silo configuration at start, each problem naming its configuration key.</summary>
public sealed class SanaSiloOptionsValidator : IValidateOptions<SanaSiloOptions>
{
    private const string P = SanaSiloOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, SanaSiloOptions o)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(o.Name) || o.Name.Contains('/', StringComparison.Ordinal))
        {
            problems.Add($"{P}Name: '{o.Name}' must be non-empty and without '/' (it starts GPU grain keys)");
        }

        if (!string.IsNullOrWhiteSpace(o.AdvertisedAddress) && !IPAddress.TryParse(o.AdvertisedAddress, out _))
        {
            problems.Add($"{P}AdvertisedAddress: '{o.AdvertisedAddress}' is not an IP address");
        }

        Port(problems, "SiloPort", o.SiloPort, allowZero: false);
        Port(problems, "GatewayPort", o.GatewayPort, allowZero: false);
        Port(problems, "PrimarySiloPort", o.PrimarySiloPort, allowZero: false);
        if (o.SiloPort == o.GatewayPort)
        {
            problems.Add($"{P}SiloPort and {P}GatewayPort: both are {o.SiloPort}; they must differ");
        }

        if (!Enum.IsDefined(o.GrainStorage))
        {
            problems.Add($"{P}GrainStorage: '{o.GrainStorage}' is not Memory or AzureTable");
        }

        if (o.HttpEnabled)
        {
            Port(problems, "HttpPort", o.HttpPort, allowZero: true);
            if (!IPAddress.TryParse(o.HttpAddress, out _))
            {
                problems.Add($"{P}HttpAddress: '{o.HttpAddress}' is not an IP address");
            }

            if (o.DashboardEnabled && (string.IsNullOrWhiteSpace(o.DashboardPath) || o.DashboardPath[0] != '/'))
            {
                problems.Add($"{P}DashboardPath: '{o.DashboardPath}' must start with '/'");
            }

            if (o.MetricsEnabled && (string.IsNullOrWhiteSpace(o.MetricsPath) || o.MetricsPath[0] != '/'))
            {
                problems.Add($"{P}MetricsPath: '{o.MetricsPath}' must start with '/'");
            }

            if (o.GpuPageEnabled)
            {
                problems.AddRange(o.GpuHistory.Problems(P + "GpuHistory:"));
            }

            problems.AddRange(o.HttpAccess.Problems(P + "HttpAccess:"));
            if (IPAddress.TryParse(o.HttpAddress, out var address) && !IPAddress.IsLoopback(address) && !o.HttpAccess.IsProtected)
            {
                problems.Add($"{P}HttpAddress: '{o.HttpAddress}' is not loopback, so the dashboard, metrics, GPU page and health "
                    + $"need protection: set {P}HttpAccess:ApiKey or {P}HttpAccess:BasicUser and {P}HttpAccess:BasicPassword");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Port(List<string> problems, string key, int port, bool allowZero)
    {
        if (port is < 0 or > 65535 || (port == 0 && !allowZero))
        {
            problems.Add($"{P}{key}: {port} is not a TCP port (1-65535{(allowZero ? ", or 0 for any free one" : "")})");
        }
    }
}

/// <summary>
/// Rejects worker settings that would only fail later inside a GPU grain: a missing model folder, an unknown device.
/// </summary>
public sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    private const string P = WorkerOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, WorkerOptions o)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(o.ModelPath))
        {
            problems.Add($"{WorkerOptions.ModelPathKey}: must name the model folder");
        }
        else if (ModelLocation.IsUrl(o.ModelPath))
        {
            if (ModelLocation.Problem(o.ModelPath) is { } problem)
            {
                problems.Add($"{WorkerOptions.ModelPathKey}: {problem}");
            }
        }
        else if (!Directory.Exists(o.ModelPath))
        {
            problems.Add($"{WorkerOptions.ModelPathKey}: the model folder '{Path.GetFullPath(o.ModelPath)}' does not exist");
        }
        else if (!File.Exists(Path.Combine(o.ModelPath, "sana-model.json")))
        {
            problems.Add($"{WorkerOptions.ModelPathKey}: '{Path.GetFullPath(o.ModelPath)}' has no sana-model.json (not a Sana model folder)");
        }

        for (var i = 0; i < o.Devices.Count; i++)
        {
            try
            {
                ExecutionDevice.Parse(o.Devices[i]);
            }
            catch (FormatException)
            {
                problems.Add($"{P}Devices:{i}: '{o.Devices[i]}' is not 'cpu', 'cuda' or 'cuda:N'");
            }
        }

        if (o.CpuWorkers < 0)
        {
            problems.Add($"{P}CpuWorkers: {o.CpuWorkers} must be 0 or more");
        }

        if (o.MicroBatch < 0 || o.MaxMicroBatch < 1 || o.MemoryPerImageMiB < 1)
        {
            problems.Add($"{P}MicroBatch (>= 0), {P}MaxMicroBatch (>= 1), {P}MemoryPerImageMiB (>= 1): out of range");
        }

        if (o.MemorySampleInterval < TimeSpan.FromMilliseconds(100))
        {
            problems.Add($"{P}MemorySampleInterval: {o.MemorySampleInterval} must be at least 00:00:00.1");
        }

        if (o.CpuIntraOpThreads < 0)
        {
            problems.Add($"{P}CpuIntraOpThreads: {o.CpuIntraOpThreads} must be 0 or more");
        }

        try
        {
            CudaProviderSettings.Validate(o.CudaProviderOptions.AsReadOnly(), $"{P}CudaProviderOptions");
        }
        catch (FormatException e)
        {
            problems.Add(e.Message);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>Rejects model download settings that could only fail later, each problem naming its key.</summary>
public sealed class ModelDownloadOptionsValidator : IValidateOptions<ModelDownloadOptions>
{
    private const string P = ModelDownloadOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, ModelDownloadOptions o)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(o.CacheDirectory))
        {
            problems.Add($"{P}CacheDirectory: must name a folder");
        }

        if (!string.IsNullOrEmpty(o.ManifestSha256) && (o.ManifestSha256.Length != 64 || !o.ManifestSha256.All(char.IsAsciiHexDigit)))
        {
            problems.Add($"{P}ManifestSha256: '{o.ManifestSha256}' is not a SHA-256 (64 hex digits)");
        }

        if (o.WaitForUpload < TimeSpan.Zero)
        {
            problems.Add($"{P}WaitForUpload: {o.WaitForUpload} must not be negative");
        }

        if (o.PollInterval < TimeSpan.FromMilliseconds(100))
        {
            problems.Add($"{P}PollInterval: {o.PollInterval} must be at least 00:00:00.1");
        }

        if (o.MaxConcurrency is < 1 or > 64)
        {
            problems.Add($"{P}MaxConcurrency: {o.MaxConcurrency} is outside 1..64");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
