using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>The Bicep compiles to ARM JSON with the CLI from NuGet, cleanly, as CI runs it.</summary>
public sealed class BicepCompilationTests
{
    [Fact]
    public void The_bicep_cli_comes_from_the_nuget_package_and_runs()
    {
        Assert.Contains("azure.bicep.commandline.linux-x64", BicepCli.Path, StringComparison.OrdinalIgnoreCase);
        var version = BicepCli.Run("--version");
        Assert.True(version.ExitCode == 0, version.Describe());
        Assert.Contains("Bicep CLI version", version.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Main_bicep_builds_to_an_arm_template_without_warnings()
    {
        var template = CompiledTemplate.MainTemplate;
        Assert.Equal("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", (string?)template.Root["$schema"]);
        Assert.DoesNotContain("Warning", template.BuildResult.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Error", template.BuildResult.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Bicep_lint_reports_nothing()
    {
        var lint = BicepCli.Run("lint", "main.bicep");
        Assert.True(lint.ExitCode == 0, lint.Describe());
        var diagnostics = (lint.StandardOutput + lint.StandardError).Trim();
        Assert.True(diagnostics.Length == 0, $"bicep lint found problems:\n{diagnostics}");
    }

    [Fact]
    public void Main_bicep_targets_a_resource_group_and_declares_modules_for_network_storage_silos_and_roles()
    {
        var bicep = RepoPaths.ReadText("deploy", "main.bicep");
        Assert.Contains("targetScope = 'resourceGroup'", bicep, StringComparison.Ordinal);
        var template = CompiledTemplate.MainTemplate;
        foreach (var module in new[] { "sana-network", "sana-storage", "sana-silos", "sana-storage-roles" })
        {
            Assert.NotNull(template.Module(module));
        }
    }
}
