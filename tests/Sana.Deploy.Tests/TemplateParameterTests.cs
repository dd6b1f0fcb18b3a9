using System.Text.Json.Nodes;
using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>The deployment's knobs: region, VM size (NC H100/A100 only), count, model location, cluster id, SSH key.</summary>
public sealed class TemplateParameterTests
{
    private static JsonObject Parameter(string name) =>
        CompiledTemplate.MainTemplate.Parameters[name]?.AsObject() ?? throw new InvalidOperationException($"no parameter {name}");

    [Theory]
    [InlineData("location", "string")]
    [InlineData("vmSize", "string")]
    [InlineData("instanceCount", "int")]
    [InlineData("modelBlobPrefix", "string")]
    [InlineData("modelManifestSha256", "string")]
    [InlineData("clusterId", "string")]
    [InlineData("serviceId", "string")]
    [InlineData("adminSshPublicKey", "string")]
    [InlineData("siloPackageBlob", "string")]
    [InlineData("siloPackageSha256", "string")]
    [InlineData("useSpot", "bool")]
    [InlineData("clientPrincipalIds", "array")]
    public void The_template_has_the_parameter_with_its_type(string name, string type) =>
        Assert.Equal(type, (string?)Parameter(name)["type"]);

    [Fact]
    public void Vm_size_allows_exactly_the_nc_h100_and_a100_sizes_and_defaults_to_the_single_h100()
    {
        var size = Parameter("vmSize");
        var allowed = size["allowedValues"]!.AsArray().Select(v => (string)v!).ToArray();
        Assert.Equal(
            ["Standard_NC40ads_H100_v5", "Standard_NC80adis_H100_v5", "Standard_NC24ads_A100_v4", "Standard_NC48ads_A100_v4", "Standard_NC96ads_A100_v4"],
            allowed);
        Assert.Equal("Standard_NC40ads_H100_v5", (string?)size["defaultValue"]);
    }

    [Fact]
    public void Instance_count_defaults_to_one_and_allows_zero_for_storage_only_deployments()
    {
        var count = Parameter("instanceCount");
        Assert.Equal(1, (int)count["defaultValue"]!);
        Assert.Equal(0, (int)count["minValue"]!);
        Assert.True((int)count["maxValue"]! >= 10);
    }

    [Fact]
    public void Location_defaults_to_the_resource_group_region()
    {
        Assert.Equal("[resourceGroup().location]", (string?)Parameter("location")["defaultValue"]);
    }

    [Fact]
    public void The_ssh_public_key_is_required_and_nothing_takes_a_password()
    {
        Assert.Null(Parameter("adminSshPublicKey")["defaultValue"]);
        var names = CompiledTemplate.MainTemplate.Parameters.Select(p => p.Key);
        Assert.DoesNotContain(names, n => n.Contains("password", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Cluster_and_service_ids_default_to_the_silo_defaults()
    {
        Assert.Equal("sana", (string?)Parameter("clusterId")["defaultValue"]);
        Assert.Equal("sana", (string?)Parameter("serviceId")["defaultValue"]);
    }

    [Fact]
    public void Orleans_ports_default_to_11111_and_30000_and_spot_is_off()
    {
        Assert.Equal(11111, (int)Parameter("siloPort")["defaultValue"]!);
        Assert.Equal(30000, (int)Parameter("gatewayPort")["defaultValue"]!);
        Assert.False((bool)Parameter("useSpot")["defaultValue"]!);
    }

    [Fact]
    public void Every_parameter_says_what_it_is_for()
    {
        var undocumented = CompiledTemplate.MainTemplate.Parameters
            .Where(p => p.Value?["metadata"]?["description"] is null)
            .Select(p => p.Key)
            .ToList();
        Assert.Empty(undocumented);
    }
}
