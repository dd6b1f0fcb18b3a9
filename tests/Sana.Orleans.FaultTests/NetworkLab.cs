using System.Diagnostics;
using System.Globalization;
using System.Net;
using Sana.TestSupport;

namespace Sana.Orleans.FaultTests;

/// <summary>
/// Network namespaces made by the test and removed by it: one per silo, each with a veth into a hub namespace's
/// bridge, and a veth from this (the test's) namespace into the same bridge, all in 10.213.N.0/24 (N random per lab).
/// Traffic goes only to those addresses. <see cref="CutAsync"/> partitions two silos for real: a blackhole route in
/// each one's namespace towards the other, so their packets are dropped while both still reach storage and clients.
/// Needs root (CAP_NET_ADMIN) and iproute2, which it installs on first use (.ci/install-netns.sh).
/// </summary>
public sealed class NetworkLab : IAsyncDisposable
{
    private readonly string _prefix = "sn" + Random.Shared.Next(0x1000, 0xFFFF).ToString("x4", CultureInfo.InvariantCulture);
    private readonly int _subnet = Random.Shared.Next(1, 250);
    private readonly List<string> _namespaces = [];

    private NetworkLab()
    {
    }

    public IPAddress HostAddress => IPAddress.Parse(Address(1));

    private string Hub => _prefix + "h";

    public string Namespace(int silo) => $"{_prefix}{silo}";

    public string SiloAddress(int silo) => Address(10 + silo);

    public static async Task<NetworkLab> CreateAsync(int silos)
    {
        await TestInstalls.IprouteAsync();
        var lab = new NetworkLab();
        try
        {
            await lab.BuildAsync(silos);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Drops every packet between silos <paramref name="a"/> and <paramref name="b"/>, both ways.</summary>
    public async Task CutAsync(int a, int b)
    {
        await IpAsync($"-n {Namespace(a)} route add blackhole {SiloAddress(b)}/32");
        await IpAsync($"-n {Namespace(b)} route add blackhole {SiloAddress(a)}/32");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var ns in Enumerable.Reverse(_namespaces))
        {
            await IpAsync($"netns del {ns}", check: false); // its veths go with it, and their peers
        }
    }

    private async Task BuildAsync(int silos)
    {
        await AddNamespaceAsync(Hub);
        await IpAsync($"-n {Hub} link add br0 type bridge");
        await IpAsync($"-n {Hub} link set br0 up");
        await IpAsync($"link add {_prefix}r type veth peer name {_prefix}rb netns {Hub}");
        await IpAsync($"addr add {Address(1)}/24 dev {_prefix}r");
        await IpAsync($"link set {_prefix}r up");
        await IpAsync($"-n {Hub} link set {_prefix}rb master br0 up");
        for (var k = 0; k < silos; k++)
        {
            var ns = Namespace(k);
            await AddNamespaceAsync(ns);
            await IpAsync($"-n {ns} link set lo up");
            await IpAsync($"link add {_prefix}s{k} netns {ns} type veth peer name {_prefix}b{k} netns {Hub}");
            await IpAsync($"-n {ns} addr add {SiloAddress(k)}/24 dev {_prefix}s{k}");
            await IpAsync($"-n {ns} link set {_prefix}s{k} up");
            await IpAsync($"-n {Hub} link set {_prefix}b{k} master br0 up");
        }
    }

    private async Task AddNamespaceAsync(string name)
    {
        await IpAsync($"netns add {name}");
        _namespaces.Add(name);
    }

    private string Address(int host) => string.Create(CultureInfo.InvariantCulture, $"10.213.{_subnet}.{host}");

    private static async Task IpAsync(string arguments, bool check = true)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in arguments.Split(' '))
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("iproute2's `ip` is not installed: run `bash .ci/install-netns.sh` (apt-get install iproute2)", e);
        }

        using (process)
        {
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (check && process.ExitCode != 0)
            {
                throw new InvalidOperationException($"`ip {arguments}` failed ({process.ExitCode}): {error.Trim()} (network namespaces need root / CAP_NET_ADMIN)");
            }
        }
    }
}
