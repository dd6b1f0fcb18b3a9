using System.Net;
using System.Net.Sockets;

namespace Sana.Orleans.FaultTests;

/// <summary>
/// Forwards TCP connections from an address the silos' network namespaces can reach (the test's own end of their veth)
/// to a loopback port of this namespace (Azurite listens on 127.0.0.1 only). Closing it closes every connection.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public TcpForwarder(IPAddress address, int targetLoopbackPort, int port = 0)
    {
        _target = targetLoopbackPort;
        _listener = new TcpListener(address, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => PipeAsync(inbound));
        }
    }

    private async Task PipeAsync(TcpClient inbound)
    {
        using (inbound)
        using (var outbound = new TcpClient())
        {
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var a = inbound.GetStream().CopyToAsync(outbound.GetStream(), done.Token);
                var b = outbound.GetStream().CopyToAsync(inbound.GetStream(), done.Token);
                await Task.WhenAny(a, b);
                await done.CancelAsync();
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // either side went away
            }
        }
    }
}
