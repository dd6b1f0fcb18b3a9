using System.Text.Json.Nodes;
using Sana.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Sana.Deploy.Tests;

/// <summary>azure.yaml and deploy/main.parameters.json: `azd up` finds the Bicep and fills every required parameter.</summary>
public sealed class AzdProjectTests
{
    private static YamlMappingNode AzureYaml()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(RepoPaths.ReadText("azure.yaml")));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static string Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = ((YamlMappingNode)node)[key];
        }

        return ((YamlScalarNode)node).Value ?? "";
    }

    [Fact]
    public void Azure_yaml_points_azd_at_the_bicep_under_deploy()
    {
        var root = AzureYaml();
        Assert.Equal("sana-orleans", Scalar(root, "name"));
        Assert.Equal("bicep", Scalar(root, "infra", "provider"));
        Assert.Equal("deploy", Scalar(root, "infra", "path"));
        Assert.Equal("main", Scalar(root, "infra", "module"));
        RepoPaths.Require("deploy", "main.bicep");
    }

    [Fact]
    public void The_postprovision_hook_runs_an_existing_script()
    {
        var run = Scalar(AzureYaml(), "hooks", "postprovision", "run");
        Assert.Equal("bash deploy/scripts/azd-postprovision.sh", run);
        RepoPaths.Require("deploy", "scripts", "azd-postprovision.sh");
    }

    [Fact]
    public void The_parameters_file_names_only_template_parameters_and_fills_every_required_one()
    {
        var file = JsonNode.Parse(RepoPaths.ReadText("deploy", "main.parameters.json"))!["parameters"]!.AsObject();
        var template = CompiledTemplate.MainTemplate.Parameters;
        Assert.DoesNotContain(file, p => !template.ContainsKey(p.Key));
        var required = template.Where(p => p.Value!["defaultValue"] is null).Select(p => p.Key).ToList();
        Assert.NotEmpty(required);
        Assert.DoesNotContain(required, r => !file.ContainsKey(r));
    }

    [Fact]
    public void Azd_passes_the_signed_in_principal_so_the_deployer_can_upload_the_model()
    {
        var file = JsonNode.Parse(RepoPaths.ReadText("deploy", "main.parameters.json"))!["parameters"]!;
        Assert.Equal("${AZURE_PRINCIPAL_ID}", (string?)file["deployerPrincipalId"]!["value"]);
        Assert.Equal("${AZURE_LOCATION}", (string?)file["location"]!["value"]);
        Assert.Equal("${SANA_MODEL_PREFIX}", (string?)file["modelBlobPrefix"]!["value"]);
    }
}
