using System.Text.Json.Nodes;
using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>
/// The network rules: Orleans silo and gateway ports open inside the virtual network only; nothing of the cluster or
/// its admin endpoints reachable from the Internet.
/// </summary>
public sealed class TemplateNetworkTests
{
    private static readonly string[] PublicSources = ["*", "Internet", "0.0.0.0/0", "Any"];

    private static IReadOnlyList<JsonObject> Rules =>
        CompiledTemplate.MainTemplate.Single("Microsoft.Network/networkSecurityGroups").Properties["securityRules"]!.AsArray()
            .Select(r => r!["properties"]!.AsObject()).ToList();

    /// <summary>The port expressions a rule covers ("[string(parameters('siloPort'))]", "22", "*").</summary>
    private static IEnumerable<string> Ports(JsonObject rule) =>
        rule["destinationPortRanges"] is JsonArray ranges
            ? ranges.Select(r => (string)r!)
            : [(string?)rule["destinationPortRange"] ?? ""];

    private static IEnumerable<string> Sources(JsonObject rule) =>
        rule["sourceAddressPrefixes"] is JsonArray prefixes
            ? prefixes.Select(p => (string)p!)
            : [(string?)rule["sourceAddressPrefix"] ?? ""];

    [Theory]
    [InlineData("siloPort")]
    [InlineData("gatewayPort")]
    public void The_orleans_port_is_allowed_from_the_virtual_network(string port)
    {
        var rule = Rules.SingleOrDefault(r => (string?)r["access"] == "Allow" && (string?)r["direction"] == "Inbound"
            && Ports(r).Contains($"[string(parameters('{port}'))]"));
        Assert.NotNull(rule);
        Assert.Equal(["VirtualNetwork"], Sources(rule));
        Assert.Equal("Tcp", (string?)rule["protocol"]);
    }

    [Fact]
    public void No_inbound_allow_rule_admits_the_internet()
    {
        var open = Rules.Where(r => (string?)r["access"] == "Allow" && (string?)r["direction"] == "Inbound"
            && Sources(r).Any(s => PublicSources.Contains(s, StringComparer.OrdinalIgnoreCase))).ToList();
        Assert.Empty(open);
    }

    [Fact]
    public void Orleans_dashboard_and_ssh_ports_are_denied_from_the_internet_explicitly()
    {
        var deny = Rules.Single(r => (string?)r["access"] == "Deny" && Sources(r).Contains("Internet"));
        var ports = Ports(deny).ToList();
        Assert.Contains("[string(parameters('siloPort'))]", ports);
        Assert.Contains("[string(parameters('gatewayPort'))]", ports);
        Assert.Contains("[string(parameters('httpPort'))]", ports);
        Assert.Contains("22", ports);
    }

    [Fact]
    public void The_silo_subnet_has_the_nsg_and_a_nat_gateway_for_outbound_traffic()
    {
        var vnet = CompiledTemplate.MainTemplate.Single("Microsoft.Network/virtualNetworks");
        var subnet = vnet.Properties["subnets"]![0]!["properties"]!;
        Assert.Contains("Microsoft.Network/networkSecurityGroups", (string?)subnet["networkSecurityGroup"]!["id"], StringComparison.Ordinal);
        Assert.Contains("Microsoft.Network/natGateways", (string?)subnet["natGateway"]!["id"], StringComparison.Ordinal);
        Assert.False((bool)subnet["defaultOutboundAccess"]!);
    }

    [Fact]
    public void The_only_public_ip_is_the_nat_gateway_s()
    {
        var ips = CompiledTemplate.MainTemplate.OfType("Microsoft.Network/publicIPAddresses");
        Assert.Single(ips);
        Assert.Contains("nat", ips[0].Name, StringComparison.Ordinal);
        Assert.DoesNotContain(CompiledTemplate.MainTemplate.AllResources(), r => r.Type.Contains("loadBalancers", StringComparison.OrdinalIgnoreCase));
    }
}
