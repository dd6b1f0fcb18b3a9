using System.Text.RegularExpressions;
using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>deploy/Dockerfile, read statically (no Docker engine here): pinned bases, non-root, health check, `sana silo`.</summary>
public sealed partial class DockerfileTests
{
    private static List<(string Instruction, string Arguments)> Instructions()
    {
        // Join continuation lines, drop comments, split into instruction and arguments.
        var joined = RepoPaths.ReadText("deploy", "Dockerfile").Replace("\\\n", " ", StringComparison.Ordinal);
        return joined.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(' ', 2))
            .Select(p => (p[0].ToUpperInvariant(), p.Length > 1 ? p[1].Trim() : ""))
            .ToList();
    }

    [Fact]
    public void Every_base_image_is_pinned_to_a_tag()
    {
        var froms = Instructions().Where(i => i.Instruction == "FROM").Select(i => i.Arguments.Split(' ')[0]).ToList();
        Assert.NotEmpty(froms);
        Assert.All(froms, image =>
        {
            Assert.Matches(TaggedImage(), image);
            Assert.False(image.EndsWith(":latest", StringComparison.Ordinal), $"{image} is not pinned");
        });
    }

    [Fact]
    public void The_runtime_image_is_cuda_13_with_cudnn_9_on_ubuntu_24_04_and_the_dotnet_10_runtime()
    {
        var final = Instructions().Last(i => i.Instruction == "FROM").Arguments;
        Assert.Matches(@"^nvidia/cuda:13\.0\.\d+-cudnn-runtime-ubuntu24\.04$", final);
        Assert.Contains(Instructions(), i => i.Instruction == "RUN" && i.Arguments.Contains("aspnetcore-runtime-10.0", StringComparison.Ordinal));
        Assert.Contains(Instructions(), i => i.Instruction == "RUN" && i.Arguments.Contains("dotnet publish src/Sana.Cli", StringComparison.Ordinal));
    }

    [Fact]
    public void The_silo_runs_as_a_non_root_user()
    {
        var user = Instructions().Last(i => i.Instruction == "USER").Arguments;
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        var lastUser = Instructions().FindLastIndex(i => i.Instruction == "USER");
        var lastFrom = Instructions().FindLastIndex(i => i.Instruction == "FROM");
        Assert.True(lastUser > lastFrom, "USER must be set in the final stage");
    }

    [Fact]
    public void The_health_check_asks_the_silo_health_endpoint()
    {
        var check = Assert.Single(Instructions(), i => i.Instruction == "HEALTHCHECK").Arguments;
        Assert.Contains("CMD", check, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:8080/health", check, StringComparison.Ordinal);
    }

    [Fact]
    public void The_entrypoint_runs_sana_silo()
    {
        var entry = Assert.Single(Instructions(), i => i.Instruction == "ENTRYPOINT").Arguments;
        Assert.Equal("[\"/opt/sana/sana\", \"silo\"]", entry);
    }

    [Fact]
    public void The_orleans_and_http_ports_are_exposed()
    {
        var ports = Instructions().Where(i => i.Instruction == "EXPOSE").SelectMany(i => i.Arguments.Split(' ')).ToList();
        Assert.Contains("11111", ports);
        Assert.Contains("30000", ports);
        Assert.Contains("8080", ports);
    }

    [Fact]
    public void The_build_context_ignores_build_outputs_and_git_but_keeps_the_bundled_model()
    {
        var ignore = RepoPaths.ReadText("deploy", "Dockerfile.dockerignore").Split('\n').Select(l => l.Trim()).ToList();
        Assert.Contains("**/bin", ignore);
        Assert.Contains("**/obj", ignore);
        Assert.Contains(".git", ignore);
        Assert.DoesNotContain(ignore, l => l is "tests" or "tests/" or "tests/fixtures");
    }

    [GeneratedRegex(@"^[\w.\-/]+:[\w.\-]+(@sha256:[0-9a-f]{64})?$")]
    private static partial Regex TaggedImage();
}
