using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>What the deployment hands a client: where storage is, which cluster, which network.</summary>
public sealed class TemplateOutputTests
{
    [Theory]
    [InlineData("storageAccountName", "string")]
    [InlineData("blobEndpoint", "string")]
    [InlineData("tableEndpoint", "string")]
    [InlineData("imageContainerName", "string")]
    [InlineData("clusterId", "string")]
    [InlineData("serviceId", "string")]
    [InlineData("membershipTableName", "string")]
    [InlineData("gatewayPort", "int")]
    [InlineData("vnetId", "string")]
    [InlineData("subnetId", "string")]
    [InlineData("vmssName", "string")]
    [InlineData("clientConfiguration", "object")]
    public void The_template_outputs_what_a_client_needs(string name, string type)
    {
        var output = CompiledTemplate.MainTemplate.Outputs[name];
        Assert.NotNull(output);
        Assert.Equal(type, (string?)output["type"]);
    }

    [Fact]
    public void Endpoints_come_from_the_storage_account_and_ids_from_the_network()
    {
        var outputs = CompiledTemplate.MainTemplate.Outputs;
        Assert.Contains("outputs.blobEndpoint.value", (string?)outputs["blobEndpoint"]!["value"], StringComparison.Ordinal);
        Assert.Contains("outputs.tableEndpoint.value", (string?)outputs["tableEndpoint"]!["value"], StringComparison.Ordinal);
        Assert.Contains("'sana-network'", (string?)outputs["vnetId"]!["value"], StringComparison.Ordinal);
        Assert.Contains("'sana-network'", (string?)outputs["subnetId"]!["value"], StringComparison.Ordinal);
        Assert.Equal("[parameters('clusterId')]", (string?)outputs["clusterId"]!["value"]);
    }

    [Fact]
    public void Client_configuration_uses_azure_table_clustering_and_keys_the_client_binds()
    {
        var config = CompiledTemplate.MainTemplate.Outputs["clientConfiguration"]!["value"]!.AsObject();
        Assert.Equal("AzureTable", (string?)config["Sana:Cluster:Clustering"]);
        Assert.Equal("[parameters('clusterId')]", (string?)config["Sana:Cluster:ClusterId"]);
        Assert.Contains("tableEndpoint", (string?)config["Sana:Cluster:TableServiceUri"], StringComparison.Ordinal);
        var problems = config.Select(p => OptionsSource.Problem(p.Key)).OfType<string>().ToList();
        Assert.Empty(problems);
    }
}
