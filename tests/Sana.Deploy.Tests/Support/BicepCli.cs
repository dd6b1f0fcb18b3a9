using System.Diagnostics;
using System.Reflection;

namespace Sana.Deploy.Tests.Support;

/// <summary>The result of one Bicep CLI run.</summary>
internal sealed record BicepResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}

/// <summary>
/// Runs the Bicep CLI that the NuGet package Azure.Bicep.CommandLine.linux-x64 restores (its path is stamped into this
/// assembly at build time), so CI needs nothing but NuGet. A missing executable is an error, never a skipped test:
/// the template must compile on every run. NuGet does not always keep the executable bit of package files, so it is
/// set here when missing (on a copy when the package folder is read-only).
/// </summary>
internal static class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private static readonly Lazy<string> Executable = new(Locate);

    public static string Path => Executable.Value;

    public static BicepResult Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Deploy,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Keep the CLI offline and quiet: no telemetry, no update checks.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Path}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}");
        }

        return new BicepResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static string Locate()
    {
        var stamped = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BicepPath")?.Value;
        if (string.IsNullOrWhiteSpace(stamped))
        {
            throw new InvalidOperationException(
                "BicepPath is not set: restore the Azure.Bicep.CommandLine.linux-x64 package (tests/Sana.Deploy.Tests.csproj)");
        }

        // The package's props build the path with backslashes; normalise for Linux.
        var path = System.IO.Path.GetFullPath(stamped.Replace('\\', '/'));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"the Bicep CLI is not at {path}: restore Azure.Bicep.CommandLine.linux-x64", path);
        }

        return OperatingSystem.IsWindows() ? path : EnsureExecutable(path);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string EnsureExecutable(string path)
    {
        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        var mode = File.GetUnixFileMode(path);
        if ((mode & UnixFileMode.UserExecute) != 0)
        {
            return path;
        }

        try
        {
            File.SetUnixFileMode(path, mode | execute);
            return path;
        }
        catch (UnauthorizedAccessException)
        {
            var copy = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sana-deploy-tests-bicep", "bicep");
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(copy)!);
            File.Copy(path, copy, overwrite: true);
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | execute);
            return copy;
        }
    }
}
