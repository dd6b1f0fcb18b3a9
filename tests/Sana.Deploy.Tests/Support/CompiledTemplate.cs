using System.Text.Json.Nodes;

namespace Sana.Deploy.Tests.Support;

/// <summary>A resource of the compiled template, with the module (nested deployment) it is declared in.</summary>
internal sealed record TemplateResource(JsonObject Json, string? Module)
{
    public string Type => (string)Json["type"]!;

    public string Name => (string)Json["name"]!;

    public JsonObject Properties => Json["properties"]?.AsObject() ?? [];
}

/// <summary>
/// deploy/main.bicep compiled to ARM JSON by the real Bicep CLI, once per test run, with helpers to reach the resources
/// declared inside its modules (which compile to nested Microsoft.Resources/deployments).
/// </summary>
internal sealed class CompiledTemplate
{
    private static readonly Lazy<CompiledTemplate> Main = new(() => Build("main.bicep"));

    private CompiledTemplate(JsonObject root, BicepResult build)
    {
        Root = root;
        BuildResult = build;
    }

    public static CompiledTemplate MainTemplate => Main.Value;

    public JsonObject Root { get; }

    public BicepResult BuildResult { get; }

    public JsonObject Parameters => Root["parameters"]!.AsObject();

    public JsonObject Outputs => Root["outputs"]!.AsObject();

    public JsonObject Variables => Root["variables"]?.AsObject() ?? [];

    public static CompiledTemplate Build(string bicepFile)
    {
        var result = BicepCli.Run("build", bicepFile, "--stdout");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build {bicepFile} failed: {result.Describe()}");
        }

        var root = JsonNode.Parse(result.StandardOutput)?.AsObject()
            ?? throw new InvalidOperationException($"bicep build {bicepFile} printed no JSON object");
        return new CompiledTemplate(root, result);
    }

    /// <summary>Every resource, in main.bicep and in its modules (recursively).</summary>
    public IReadOnlyList<TemplateResource> AllResources()
    {
        var found = new List<TemplateResource>();
        Collect(Root, module: null, found);
        return found;
    }

    public IReadOnlyList<TemplateResource> OfType(string type) =>
        AllResources().Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase)).ToList();

    public TemplateResource Single(string type)
    {
        var matches = OfType(type);
        Assert.True(matches.Count == 1, $"expected exactly one {type}, found {matches.Count}");
        return matches[0];
    }

    /// <summary>The nested deployment main.bicep creates for a module (by its deployment name).</summary>
    public JsonObject Module(string deploymentName) =>
        Resources(Root).FirstOrDefault(r => (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == deploymentName)
        ?? throw new InvalidOperationException($"no module deployment named {deploymentName}");

    /// <summary>The expression main.bicep passes to a module parameter, e.g. "[parameters('vmSize')]".</summary>
    public string ModuleArgument(string deploymentName, string parameter)
    {
        var value = Module(deploymentName)["properties"]?["parameters"]?[parameter]?["value"]
            ?? throw new InvalidOperationException($"module {deploymentName} gets no value for {parameter}");
        return value is JsonValue scalar && scalar.TryGetValue<string>(out var text) ? text : value.ToJsonString();
    }

    private static void Collect(JsonObject template, string? module, List<TemplateResource> found)
    {
        foreach (var resource in Resources(template))
        {
            found.Add(new TemplateResource(resource, module));
            if ((string?)resource["type"] == "Microsoft.Resources/deployments"
                && resource["properties"]?["template"] is JsonObject inner)
            {
                Collect(inner, (string?)resource["name"], found);
            }
        }
    }

    /// <summary>Resources of one template: an array, or an object keyed by symbolic name (language version 2.0).</summary>
    private static IEnumerable<JsonObject> Resources(JsonObject template) =>
        template["resources"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject map => map.Select(p => p.Value).OfType<JsonObject>(),
            _ => [],
        };
}
