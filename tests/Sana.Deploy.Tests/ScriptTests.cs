using System.Diagnostics;
using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>The shell scripts under deploy/ parse, are executable in git, and fail fast.</summary>
public sealed class ScriptTests
{
    public static TheoryData<string> Scripts() =>
        [.. Directory.GetFiles(Path.Combine(RepoPaths.Deploy, "scripts"), "*.sh").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Scripts))]
    public void The_script_is_valid_bash(string script)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(Path.Combine(RepoPaths.Deploy, "scripts", script));
        using var bash = Process.Start(start)!;
        var errors = bash.StandardError.ReadToEnd();
        Assert.True(bash.WaitForExit(TimeSpan.FromSeconds(30)), "bash -n hung");
        Assert.True(bash.ExitCode == 0, $"bash -n {script}: {errors}");
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void The_script_stops_on_errors_and_unset_variables(string script)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Deploy, "scripts", script));
        Assert.StartsWith("#!/usr/bin/env bash\n", text, StringComparison.Ordinal);
        Assert.True(text.Contains("set -euo pipefail", StringComparison.Ordinal) || text.Contains("set -uo pipefail", StringComparison.Ordinal),
            $"{script} does not set -u and pipefail");
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void The_script_is_executable_in_git(string script)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = RepoPaths.RepositoryRoot };
        foreach (var a in new[] { "ls-files", "--stage", "--", $"deploy/scripts/{script}" })
        {
            start.ArgumentList.Add(a);
        }

        using var git = Process.Start(start)!;
        var line = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        if (line.Length == 0)
        {
            // Not committed yet (a working tree under edit): the file mode on disk is what will be committed.
            Assert.True(OperatingSystem.IsWindows() || (File.GetUnixFileMode(Path.Combine(RepoPaths.Deploy, "scripts", script)) & UnixFileMode.UserExecute) != 0);
            return;
        }

        Assert.StartsWith("100755 ", line, StringComparison.Ordinal);
    }
}
