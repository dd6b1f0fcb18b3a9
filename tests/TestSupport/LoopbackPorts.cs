using System.Net;
using System.Net.Sockets;

namespace Sana.TestSupport;

/// <summary>Free TCP ports on 127.0.0.1 for silos, gateways and dashboards that tests start.</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// <paramref name="count"/> distinct ports the OS reports free: all listened on at once (so none repeats), then
    /// released for the caller to bind. Another process could take one in between; on a test machine that is rare.
    /// </summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        foreach (var listener in listeners)
        {
            listener.Start();
        }

        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var listener in listeners)
        {
            listener.Stop();
        }

        return ports;
    }
}
