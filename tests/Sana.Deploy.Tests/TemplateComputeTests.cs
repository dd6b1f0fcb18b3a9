using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>The GPU VM scale set and the roles its identity gets on storage.</summary>
public sealed class TemplateComputeTests
{
    private const string BlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    private const string TableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";

    private static TemplateResource Vmss => CompiledTemplate.MainTemplate.Single("Microsoft.Compute/virtualMachineScaleSets");

    [Fact]
    public void The_scale_set_uses_the_chosen_vm_size_and_instance_count()
    {
        var template = CompiledTemplate.MainTemplate;
        Assert.Equal("[parameters('vmSize')]", (string?)Vmss.Json["sku"]!["name"]);
        Assert.Equal("[parameters('instanceCount')]", (string?)Vmss.Json["sku"]!["capacity"]);
        Assert.Equal("[parameters('vmSize')]", template.ModuleArgument("sana-silos", "vmSize"));
        Assert.Equal("[parameters('instanceCount')]", template.ModuleArgument("sana-silos", "instanceCount"));
    }

    [Fact]
    public void The_scale_set_has_a_system_assigned_identity_and_never_overprovisions()
    {
        Assert.Equal("SystemAssigned", (string?)Vmss.Json["identity"]!["type"]);
        Assert.False((bool)Vmss.Properties["overprovision"]!);
    }

    [Fact]
    public void Vms_run_ubuntu_24_04_with_ssh_keys_only_and_no_public_address()
    {
        var profile = Vmss.Properties["virtualMachineProfile"]!;
        var image = profile["storageProfile"]!["imageReference"]!;
        Assert.Equal("Canonical", (string?)image["publisher"]);
        Assert.Equal("ubuntu-24_04-lts", (string?)image["offer"]);
        var linux = profile["osProfile"]!["linuxConfiguration"]!;
        Assert.True((bool)linux["disablePasswordAuthentication"]!);
        Assert.Equal("[parameters('adminSshPublicKey')]", (string?)linux["ssh"]!["publicKeys"]![0]!["keyData"]);
        Assert.DoesNotContain("publicIPAddressConfiguration", profile["networkProfile"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Custom_data_is_the_cloud_init_document_with_its_placeholders_replaced()
    {
        var profile = Vmss.Properties["virtualMachineProfile"]!;
        Assert.Equal("[base64(parameters('cloudInit'))]", (string?)profile["osProfile"]!["customData"]);
        var cloudInit = CompiledTemplate.MainTemplate.ModuleArgument("sana-silos", "cloudInit");
        Assert.StartsWith("[reduce(items(createObject(", cloudInit, StringComparison.Ordinal);
        Assert.Contains("replace(", cloudInit, StringComparison.Ordinal);
        // loadTextContent inlines deploy/cloud-init.yaml as a template variable.
        var inlined = CompiledTemplate.MainTemplate.Variables.Select(v => v.Value?.ToString()).ToList();
        Assert.Contains(CloudInit.TemplateText, inlined);
    }

    [Fact]
    public void Scale_in_and_eviction_notify_the_vm_so_the_silo_can_stop_gracefully()
    {
        var notice = Vmss.Properties["virtualMachineProfile"]!["scheduledEventsProfile"]!["terminateNotificationProfile"]!;
        Assert.True((bool)notice["enable"]!);
        Assert.Equal("PT5M", (string?)notice["notBeforeTimeout"]);
    }

    [Fact]
    public void The_health_extension_probes_the_silo_health_endpoint_on_the_vm()
    {
        var extension = Vmss.Properties["virtualMachineProfile"]!["extensionProfile"]!["extensions"]!.AsArray()
            .Single(e => (string?)e!["properties"]!["type"] == "ApplicationHealthLinux")!;
        Assert.Equal("/health", (string?)extension["properties"]!["settings"]!["requestPath"]);
        Assert.Equal("[parameters('httpPort')]", (string?)extension["properties"]!["settings"]!["port"]);
    }

    [Theory]
    [InlineData(BlobDataContributor)]
    [InlineData(TableDataContributor)]
    public void The_scale_set_identity_gets_the_storage_data_role_on_the_account(string roleId)
    {
        var template = CompiledTemplate.MainTemplate;
        var roles = template.Module("sana-storage-roles")["properties"]!["template"]!["variables"]!["roles"]!.AsObject();
        var roleName = roles.Single(r => (string?)r.Value == roleId).Key;
        var assignment = template.OfType("Microsoft.Authorization/roleAssignments").SingleOrDefault(r =>
            (string?)r.Properties["principalId"] == "[parameters('siloPrincipalId')]"
            && ((string?)r.Properties["roleDefinitionId"] ?? "").Contains($"variables('roles').{roleName}", StringComparison.Ordinal));
        Assert.NotNull(assignment);
        Assert.Equal("ServicePrincipal", (string?)assignment.Properties["principalType"]);
        Assert.Contains("Microsoft.Storage/storageAccounts", (string?)assignment.Json["scope"], StringComparison.Ordinal);
        var principal = template.ModuleArgument("sana-storage-roles", "siloPrincipalId");
        Assert.Contains("'sana-silos'", principal, StringComparison.Ordinal);
        Assert.Contains("outputs.principalId.value", principal, StringComparison.Ordinal);
        var output = (string?)template.Module("sana-silos")["properties"]!["template"]!["outputs"]!["principalId"]!["value"];
        Assert.Contains("Microsoft.Compute/virtualMachineScaleSets", output, StringComparison.Ordinal);
        Assert.Contains("identity.principalId", output, StringComparison.Ordinal);
    }
}
