using System.Globalization;
using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>deploy/sana-silo.service: a dedicated user, restarts, the environment file, and time to stop gracefully.</summary>
public sealed class SystemdUnitTests
{
    private static ILookup<string, string> Service(string unit)
    {
        var section = "";
        var entries = new List<(string Key, string Value)>();
        foreach (var raw in RepoPaths.ReadText("deploy", unit).Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line;
            }
            else if (line.Length > 0 && line[0] != '#' && line.Contains('=', StringComparison.Ordinal))
            {
                var cut = line.IndexOf('=', StringComparison.Ordinal);
                entries.Add(($"{section}{line[..cut]}", line[(cut + 1)..]));
            }
        }

        return entries.ToLookup(e => e.Key, e => e.Value);
    }

    private static string One(ILookup<string, string> unit, string key) => Assert.Single(unit[key]);

    [Fact]
    public void The_silo_runs_as_the_dedicated_sana_user()
    {
        var unit = Service("sana-silo.service");
        Assert.Equal("sana", One(unit, "[Service]User"));
        Assert.Equal("sana", One(unit, "[Service]Group"));
        Assert.Equal("true", One(unit, "[Service]NoNewPrivileges"));
    }

    [Fact]
    public void The_silo_starts_as_sana_silo_with_the_environment_file()
    {
        var unit = Service("sana-silo.service");
        Assert.Equal("/opt/sana/current/sana silo", One(unit, "[Service]ExecStart"));
        Assert.Equal("/etc/sana/silo.env", One(unit, "[Service]EnvironmentFile"));
        Assert.Equal("multi-user.target", One(unit, "[Install]WantedBy"));
    }

    [Fact]
    public void A_crashed_silo_restarts_but_a_configuration_error_does_not_loop()
    {
        var unit = Service("sana-silo.service");
        Assert.Equal("always", One(unit, "[Service]Restart"));
        Assert.Equal("2", One(unit, "[Service]RestartPreventExitStatus"));
        Assert.NotEmpty(unit["[Unit]StartLimitBurst"]);
    }

    [Fact]
    public void Stopping_sends_sigterm_and_waits_longer_than_the_host_shutdown_timeout()
    {
        var unit = Service("sana-silo.service");
        Assert.Equal("SIGTERM", One(unit, "[Service]KillSignal"));
        var stop = int.Parse(One(unit, "[Service]TimeoutStopSec"), CultureInfo.InvariantCulture);
        Assert.True(stop >= 180, $"TimeoutStopSec={stop}: too short to hand back chunks");

        var root = CloudInit.Rendered(CompiledTemplate.MainTemplate, out _);
        var env = EnvFile.Parse(CloudInit.WrittenFile(root, "/etc/sana/silo.env"));
        var host = int.Parse(env["DOTNET_shutdownTimeoutSeconds"], CultureInfo.InvariantCulture);
        Assert.True(host < stop, $"the host's shutdown timeout ({host} s) must end before systemd kills the silo ({stop} s)");
    }

    [Fact]
    public void The_terminate_watcher_stops_the_silo_before_approving_the_scheduled_event()
    {
        var unit = Service("sana-terminate-watch.service");
        Assert.Equal("/opt/sana/bin/sana-terminate-watch.sh", One(unit, "[Service]ExecStart"));
        var script = RepoPaths.ReadText("deploy", "scripts", "sana-terminate-watch.sh");
        var stop = script.IndexOf("systemctl stop sana-silo.service", StringComparison.Ordinal);
        var approve = script.IndexOf("StartRequests", StringComparison.Ordinal);
        Assert.True(stop > 0 && approve > stop, "the silo must be stopped before the event is approved");
        Assert.Contains("\"Preempt\"", script, StringComparison.Ordinal);
        Assert.Contains("\"Terminate\"", script, StringComparison.Ordinal);
    }
}
