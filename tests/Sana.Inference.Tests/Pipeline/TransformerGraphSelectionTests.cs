using System.Text.Json.Nodes;
using Sana.Inference.Model;
using Sana.Inference.Onnx;
using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>
/// Which transformer graph a pipeline opens, and the one line that says why: the kernels graph only where it can run,
/// the portable graph with the reason everywhere else, and a clear error where the caller insists on what cannot be.
/// </summary>
public sealed class TransformerGraphSelectionTests : IDisposable
{
    private static readonly string Library = Path.Combine(AppContext.BaseDirectory, KernelLibrary.FileName);
    private readonly string _scratch = Directory.CreateTempSubdirectory("sana-graphs-").FullName;

    private static ModelFolder Tiny => ModelFolder.Load(Path.Combine(FixturePaths.TinySana, "model"));

    [Fact]
    public void The_kernel_library_beside_the_tests_is_the_cpu_build_of_op_set_1()
    {
        var library = KernelLibrary.Find(Library, out var problem);
        Assert.True(library is not null, problem);
        Assert.Equal(1, library.OpsVersion);
        Assert.False(library.HasCuda);
    }

    [Fact]
    public void Auto_on_the_cpu_runs_the_portable_graph_and_says_the_kernels_graph_is_for_cuda()
    {
        var choice = TransformerGraphSelector.Select(Tiny, new PipelineOptions { KernelLibraryPath = Library }, out var library);
        Assert.Equal(TransformerGraphKind.Portable, choice.Kind);
        Assert.Null(library);
        Assert.Contains("for CUDA", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_the_kernels_graph_opens_it_with_the_library()
    {
        var choice = TransformerGraphSelector.Select(Tiny, new PipelineOptions { TransformerGraph = TransformerGraphPreference.Kernels, KernelLibraryPath = Library }, out var library);
        Assert.Equal(TransformerGraphKind.Kernels, choice.Kind);
        Assert.NotNull(library);
        Assert.EndsWith(Path.Combine("transformer_kernels", "model.onnx"), choice.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_library_is_a_reason_under_auto_and_an_error_naming_its_path_when_insisted_on()
    {
        var missing = Path.Combine(_scratch, "nowhere", KernelLibrary.FileName);
        var auto = TransformerGraphSelector.Select(Tiny, new PipelineOptions { KernelLibraryPath = missing }, out _);
        Assert.Equal(TransformerGraphKind.Portable, auto.Kind);
        Assert.Contains(missing, auto.Reason, StringComparison.Ordinal);
        var e = Assert.Throws<ExecutionDeviceException>(() => TransformerGraphSelector.Select(
            Tiny, new PipelineOptions { TransformerGraph = TransformerGraphPreference.Kernels, KernelLibraryPath = missing }, out _));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_a_kernels_graph_says_why_the_exporter_left_it_out()
    {
        var folder = CopyWithoutKernels("qk_norm rms_norm");
        var auto = TransformerGraphSelector.Select(folder, new PipelineOptions { KernelLibraryPath = Library }, out _);
        Assert.Equal(TransformerGraphKind.Portable, auto.Kind);
        Assert.Contains("qk_norm rms_norm", auto.Reason, StringComparison.Ordinal);
        var e = Assert.Throws<ModelFolderException>(() => TransformerGraphSelector.Select(
            folder, new PipelineOptions { TransformerGraph = TransformerGraphPreference.Kernels, KernelLibraryPath = Library }, out _));
        Assert.Contains("no kernels graph", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_graphs_asked_for_on_the_cpu_are_reported_unused_and_the_pipeline_still_loads()
    {
        using var pipeline = SanaPipeline.Load(Tiny.Root, new PipelineOptions { CudaGraphs = true, KernelLibraryPath = Library });
        Assert.Contains("need a CUDA device", pipeline.TransformerGraph.CudaGraphs, StringComparison.Ordinal);
        Assert.Contains("CUDA graphs not used", pipeline.Model.TransformerGraph, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private ModelFolder CopyWithoutKernels(string why)
    {
        var source = Tiny.Root;
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_scratch, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var manifestPath = Path.Combine(_scratch, ModelManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var transformer = manifest["transformer"]!.AsObject();
        transformer.Remove("kernels");
        transformer["kernels_missing"] = why;
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        return ModelFolder.Load(_scratch);
    }
}
