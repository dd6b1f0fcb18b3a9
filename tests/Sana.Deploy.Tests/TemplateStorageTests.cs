using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>The storage account: Entra ID only, TLS 1.2+, private containers, and the Orleans tables.</summary>
public sealed class TemplateStorageTests
{
    private static TemplateResource Account => CompiledTemplate.MainTemplate.Single("Microsoft.Storage/storageAccounts");

    [Fact]
    public void The_storage_account_turns_shared_keys_off_and_requires_tls_1_2_over_https()
    {
        var p = Account.Properties;
        Assert.False((bool)p["allowSharedKeyAccess"]!);
        Assert.True((bool)p["defaultToOAuthAuthentication"]!);
        Assert.Equal("TLS1_2", (string?)p["minimumTlsVersion"]);
        Assert.True((bool)p["supportsHttpsTrafficOnly"]!);
        Assert.False((bool)p["allowBlobPublicAccess"]!);
    }

    [Fact]
    public void Containers_for_images_models_and_builds_are_private()
    {
        var containers = CompiledTemplate.MainTemplate.Single("Microsoft.Storage/storageAccounts/blobServices/containers");
        var names = containers.Name;
        Assert.Contains("parameters('imageContainerName')", names, StringComparison.Ordinal);
        Assert.Contains("parameters('modelContainerName')", names, StringComparison.Ordinal);
        Assert.Contains("parameters('releaseContainerName')", names, StringComparison.Ordinal);
        Assert.Equal("None", (string?)containers.Properties["publicAccess"]);
        Assert.Equal("[parameters('imageContainerName')]", CompiledTemplate.MainTemplate.ModuleArgument("sana-storage", "imageContainerName"));
    }

    [Fact]
    public void Tables_hold_cluster_membership_grain_state_and_reminders()
    {
        var template = CompiledTemplate.MainTemplate;
        var tables = template.Single("Microsoft.Storage/storageAccounts/tableServices/tables");
        Assert.Contains("parameters('tableNames')[copyIndex()]", tables.Name, StringComparison.Ordinal);
        var names = template.Module("sana-storage")["properties"]!["parameters"]!["tableNames"]!["value"]!.AsArray()
            .Select(n => (string)n!).ToArray();
        Assert.Equal(["[parameters('membershipTableName')]", "[variables('grainStateTableName')]", "[variables('remindersTableName')]"], names);
        Assert.Equal("OrleansSiloInstances", (string?)template.Parameters["membershipTableName"]!["defaultValue"]);
        Assert.Equal("OrleansGrainState", (string?)template.Variables["grainStateTableName"]);
        Assert.Equal("OrleansReminders", (string?)template.Variables["remindersTableName"]);
    }

    [Fact]
    public void No_output_or_template_expression_reads_the_account_keys()
    {
        var json = CompiledTemplate.MainTemplate.Root.ToJsonString();
        Assert.DoesNotContain("listKeys", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("listAccountSas", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AccountKey=", json, StringComparison.OrdinalIgnoreCase);
        foreach (var (name, output) in CompiledTemplate.MainTemplate.Outputs)
        {
            Assert.DoesNotContain("connectionstring", name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("key", name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("secure", (string?)output!["type"] ?? "", StringComparison.OrdinalIgnoreCase);
        }
    }
}
