using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sana.Deploy.Tests.Support;

/// <summary>
/// deploy/cloud-init.yaml as the VM receives it: its {{PLACEHOLDERS}} replaced the way main.bicep does, the embedded
/// files (systemd units, scripts) taken from the compiled template itself, and the result parsed as YAML.
/// </summary>
internal static partial class CloudInit
{
    /// <summary>Values for the non-file placeholders, like a real deployment's.</summary>
    public static readonly IReadOnlyDictionary<string, string> SampleValues = new Dictionary<string, string>
    {
        ["STORAGE_ACCOUNT"] = "sanaabc123",
        ["BLOB_ENDPOINT"] = "https://sanaabc123.blob.core.windows.net/",
        ["TABLE_ENDPOINT"] = "https://sanaabc123.table.core.windows.net/",
        ["IMAGE_CONTAINER"] = "sana-images",
        ["MODEL_PATH"] = "https://sanaabc123.blob.core.windows.net/models/sana-1600m/",
        ["MODEL_MANIFEST_SHA256"] = "",
        ["RELEASE_CONTAINER"] = "releases",
        ["SILO_PACKAGE"] = "sana-linux-x64.tar.gz",
        ["SILO_PACKAGE_SHA256"] = "",
        ["NVIDIA_DRIVER_BRANCH"] = "580",
        ["CLUSTER_ID"] = "sana",
        ["SERVICE_ID"] = "sana",
        ["MEMBERSHIP_TABLE"] = "OrleansSiloInstances",
        ["SILO_PORT"] = "11111",
        ["GATEWAY_PORT"] = "30000",
        ["HTTP_PORT"] = "8080",
    };

    public static string TemplateText => RepoPaths.ReadText("deploy", "cloud-init.yaml");

    public static IReadOnlySet<string> Placeholders(string text) =>
        PlaceholderPattern().Matches(text).Select(m => m.Groups[1].Value).ToHashSet();

    /// <summary>Base64 file placeholders ("SILO_UNIT_B64", ...) mapped to the contents main.bicep passes for them.</summary>
    public static IReadOnlyDictionary<string, string> FileValues(CompiledTemplate template)
    {
        var expression = template.ModuleArgument("sana-silos", "cloudInit");
        var values = new Dictionary<string, string>();
        foreach (Match m in FileArgumentPattern().Matches(expression))
        {
            values[m.Groups[1].Value] = (string)template.Variables[m.Groups[2].Value]!;
        }

        return values;
    }

    /// <summary>The cloud-init document with every placeholder replaced, parsed.</summary>
    public static YamlMappingNode Rendered(CompiledTemplate template, out string text)
    {
        var values = new Dictionary<string, string>(SampleValues);
        foreach (var (key, value) in FileValues(template))
        {
            values[key] = value;
        }

        text = PlaceholderPattern().Replace(TemplateText, m =>
            values.TryGetValue(m.Groups[1].Value, out var v) ? v : throw new KeyNotFoundException($"no value for {m.Value}"));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    /// <summary>The write_files entry for a path: its content, decoded when it is base64.</summary>
    public static string WrittenFile(YamlMappingNode root, string path)
    {
        var entry = ((YamlSequenceNode)root["write_files"]).Children.OfType<YamlMappingNode>()
            .FirstOrDefault(e => ((YamlScalarNode)e["path"]).Value == path)
            ?? throw new InvalidOperationException($"cloud-init writes no {path}");
        var content = ((YamlScalarNode)entry["content"]).Value ?? "";
        var encoded = entry.Children.TryGetValue(new YamlScalarNode("encoding"), out var encoding)
            && ((YamlScalarNode)encoding).Value is "b64" or "base64";
        return encoded ? Encoding.UTF8.GetString(Convert.FromBase64String(content)) : content;
    }

    [GeneratedRegex(@"\{\{([A-Z0-9_]+)\}\}")]
    private static partial Regex PlaceholderPattern();

    // In the compiled createObject(...) call: '{{SILO_UNIT_B64}}', variables('$fxv#1')
    [GeneratedRegex(@"'\{\{([A-Z0-9_]+_B64)\}\}', variables\('(\$fxv#\d+)'\)")]
    private static partial Regex FileArgumentPattern();
}
