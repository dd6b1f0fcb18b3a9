using System.Text;
using Sana.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Sana.Deploy.Tests;

/// <summary>cloud-init as the VM gets it: valid YAML, every placeholder filled, the right files, the provision step.</summary>
public sealed class CloudInitTests
{
    [Fact]
    public void Cloud_init_starts_with_the_cloud_config_header()
    {
        Assert.StartsWith("#cloud-config\n", CloudInit.TemplateText, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_placeholder_in_cloud_init_is_substituted_by_main_bicep()
    {
        var expression = CompiledTemplate.MainTemplate.ModuleArgument("sana-silos", "cloudInit");
        var missing = CloudInit.Placeholders(CloudInit.TemplateText)
            .Where(p => !expression.Contains($"'{{{{{p}}}}}'", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(missing);
        var unknown = CloudInit.Placeholders(expression)
            .Where(p => !CloudInit.Placeholders(CloudInit.TemplateText).Contains(p))
            .ToList();
        Assert.Empty(unknown);
    }

    [Theory]
    [InlineData("SILO_UNIT_B64", "sana-silo.service")]
    [InlineData("TERMINATE_UNIT_B64", "sana-terminate-watch.service")]
    [InlineData("PROVISION_SCRIPT_B64", "scripts/sana-provision.sh")]
    [InlineData("FETCH_SCRIPT_B64", "scripts/sana-fetch.sh")]
    [InlineData("TERMINATE_SCRIPT_B64", "scripts/sana-terminate-watch.sh")]
    public void Embedded_files_reach_the_vm_byte_for_byte(string placeholder, string file)
    {
        var embedded = CloudInit.FileValues(CompiledTemplate.MainTemplate);
        Assert.True(embedded.ContainsKey(placeholder), $"main.bicep passes no file for {{{{{placeholder}}}}}");
        Assert.Equal(File.ReadAllBytes(RepoPaths.Require(["deploy", .. file.Split('/')])), Convert.FromBase64String(embedded[placeholder]));
    }

    [Fact]
    public void The_rendered_document_is_valid_yaml_that_writes_the_units_scripts_and_configuration()
    {
        var root = CloudInit.Rendered(CompiledTemplate.MainTemplate, out var text);
        Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
        Assert.Equal(RepoPaths.ReadText("deploy", "sana-silo.service"), CloudInit.WrittenFile(root, "/etc/systemd/system/sana-silo.service"));
        Assert.Equal(RepoPaths.ReadText("deploy", "scripts", "sana-fetch.sh"), CloudInit.WrittenFile(root, "/opt/sana/bin/sana-fetch.sh"));
        var deploy = EnvFile.Parse(CloudInit.WrittenFile(root, "/etc/sana/deploy.env"));
        Assert.Equal("https://sanaabc123.blob.core.windows.net/", deploy["SANA_BLOB_ENDPOINT"]);
        Assert.Equal("580", deploy["SANA_NVIDIA_DRIVER_BRANCH"]);
        Assert.DoesNotContain(deploy.Keys, k => k.StartsWith("SANA_MODEL", StringComparison.Ordinal));
    }

    [Fact]
    public void Scripts_are_written_executable_and_the_provision_script_runs_at_first_boot()
    {
        var root = CloudInit.Rendered(CompiledTemplate.MainTemplate, out _);
        var scripts = ((YamlSequenceNode)root["write_files"]).Children.OfType<YamlMappingNode>()
            .Where(e => ((YamlScalarNode)e["path"]).Value!.EndsWith(".sh", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, scripts.Count);
        Assert.All(scripts, s => Assert.Equal("0755", ((YamlScalarNode)s["permissions"]).Value));
        var runcmd = string.Join('\n', ((YamlSequenceNode)root["runcmd"]).Children.Select(c => c.ToString()));
        Assert.Contains("/opt/sana/bin/sana-provision.sh", runcmd, StringComparison.Ordinal);
    }

    [Fact]
    public void Provisioning_installs_the_nvidia_driver_cuda_13_cudnn_9_and_the_dotnet_10_runtime()
    {
        var script = RepoPaths.ReadText("deploy", "scripts", "sana-provision.sh");
        Assert.Contains("linux-modules-nvidia-${branch}-server-open", script, StringComparison.Ordinal);
        Assert.Contains("nvidia-utils-${branch}-server", script, StringComparison.Ordinal);
        Assert.Contains("cuda_series=\"13-0\"", script, StringComparison.Ordinal);
        Assert.Contains("libcublas-${cuda_series}", script, StringComparison.Ordinal);
        Assert.Contains("libcudnn9-cuda-13", script, StringComparison.Ordinal);
        Assert.Contains("aspnetcore-runtime-10.0", script, StringComparison.Ordinal);
        Assert.Contains("/opt/sana/bin/sana-fetch.sh", script, StringComparison.Ordinal);
        Assert.Contains("systemctl enable sana-silo.service", script, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fetch_script_checks_the_build_against_its_sha256_and_leaves_the_model_to_the_silo()
    {
        var script = RepoPaths.ReadText("deploy", "scripts", "sana-fetch.sh");
        Assert.Contains("SANA_SILO_PACKAGE_SHA256", script, StringComparison.Ordinal);
        Assert.Contains("sha256sum --check --strict --quiet", script, StringComparison.Ordinal);
        // Managed identity, never a key or SAS: the token comes from the instance metadata service.
        Assert.Contains("metadata/identity/oauth2/token", script, StringComparison.Ordinal);
        Assert.Contains("resource=https%3A%2F%2Fstorage.azure.com%2F", script, StringComparison.Ordinal);
        // The silo downloads and checks the model (Sana:ModelPath is a blob folder URL); no script does it twice.
        Assert.DoesNotContain("SANA_MODEL", script, StringComparison.Ordinal);
        Assert.DoesNotContain("SHA256SUMS", script, StringComparison.Ordinal);
        Assert.DoesNotContain("/var/lib/sana/model", RepoPaths.ReadText("deploy", "scripts", "sana-provision.sh"), StringComparison.Ordinal);
    }

    [Fact]
    public void Main_bicep_passes_the_model_folder_url_and_the_manifest_pin_to_the_silo()
    {
        var expression = CompiledTemplate.MainTemplate.ModuleArgument("sana-silos", "cloudInit");
        Assert.Contains("'{{MODEL_PATH}}'", expression, StringComparison.Ordinal);
        Assert.Contains("parameters('modelBlobPrefix')", expression, StringComparison.Ordinal);
        Assert.Contains("parameters('modelContainerName')", expression, StringComparison.Ordinal);
        Assert.Contains("'{{MODEL_MANIFEST_SHA256}}', parameters('modelManifestSha256')", expression, StringComparison.Ordinal);
    }

    [Fact]
    public void Cloud_init_stays_far_below_the_custom_data_limit()
    {
        CloudInit.Rendered(CompiledTemplate.MainTemplate, out var text);
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).Length;
        Assert.True(encoded < 48 * 1024, $"custom data is {encoded} base64 characters; Azure allows 64 KiB");
    }
}
