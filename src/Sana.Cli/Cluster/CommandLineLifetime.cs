using Microsoft.Extensions.Hosting;

namespace Sana.Cli.Cluster;

/// <summary>
/// The lifetime of a host that a command starts and stops itself: unlike the default console lifetime it takes no
/// signals, so Ctrl+C reaches the command (<see cref="Interrupts"/>), which cancels or leaves its job before it
/// stops the host.
/// </summary>
internal sealed class CommandLineLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
