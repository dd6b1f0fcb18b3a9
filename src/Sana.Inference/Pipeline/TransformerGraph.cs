using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>A model folder's two transformer graphs: standard ONNX, or our kernels between the GEMMs.</summary>
public enum TransformerGraphKind
{
    Portable,
    Kernels,
}

/// <summary>
/// Which transformer graph to run: Auto takes the kernels graph on CUDA when the folder has one and the kernel library
/// with CUDA ops is loaded, the portable graph otherwise; Portable and Kernels insist (Kernels on the CPU runs the
/// library's CPU ops, for tests and comparisons).
/// </summary>
public enum TransformerGraphPreference
{
    Auto,
    Portable,
    Kernels,
}

/// <summary>The command-line and configuration spelling of <see cref="TransformerGraphPreference"/>.</summary>
public static class TransformerGraphPreferences
{
    /// <summary>"auto", "portable" or "kernels" (any case); <paramref name="field"/> names the option in the error.</summary>
    /// <exception cref="FormatException">any other text.</exception>
    public static TransformerGraphPreference Parse(string text, string field) => text?.Trim().ToLowerInvariant() switch
    {
        "auto" => TransformerGraphPreference.Auto,
        "portable" => TransformerGraphPreference.Portable,
        "kernels" => TransformerGraphPreference.Kernels,
        _ => throw new FormatException($"{field}: '{text}' is not auto, portable or kernels"),
    };
}

/// <summary>
/// The transformer graph a pipeline opened, and why, in one line (workers log it; `sana bench` prints it).
/// <paramref name="CudaGraphs"/>: "off", "on", or why they were asked for and are not used.
/// </summary>
public sealed record TransformerGraphChoice(TransformerGraphKind Kind, string Path, string Reason, string CudaGraphs = "off")
{
    public override string ToString() =>
        $"{(Kind == TransformerGraphKind.Kernels ? "kernels" : "portable")} graph: {Reason}; CUDA graphs {CudaGraphs}";
}

/// <summary>Picks the transformer graph for a folder and options; the kernel library comes with a kernels choice.</summary>
internal static class TransformerGraphSelector
{
    public static TransformerGraphChoice Select(ModelFolder folder, PipelineOptions options, out KernelLibrary? library)
    {
        library = null;
        var preference = options.TransformerGraph;
        var portable = folder.TransformerPath;
        if (preference == TransformerGraphPreference.Portable)
        {
            return new(TransformerGraphKind.Portable, portable, "asked for");
        }

        var manifest = folder.Manifest.Transformer;
        if (folder.KernelsTransformerPath is not { } kernelsPath || manifest.Kernels is not { } kernels)
        {
            var why = $"the model folder has no kernels graph{(manifest.KernelsMissing is { } m ? $" ({m})" : "")}";
            return preference == TransformerGraphPreference.Kernels
                ? throw new ModelFolderException($"{folder.Root}: transformer graph 'kernels' asked for, but {why}")
                : new(TransformerGraphKind.Portable, portable, why);
        }

        var found = KernelLibrary.Find(options.KernelLibraryPath, out var problem);
        if (found is not null && found.OpsVersion != kernels.Version)
        {
            problem = $"{found.Path} implements sana.kernels version {found.OpsVersion}, the graph needs {kernels.Version}";
            found = null;
        }
        else if (found is not null && options.Device.Kind == ExecutionProviderKind.Cuda && !found.HasCuda)
        {
            problem = $"{found.Path} was built without CUDA";
            found = null;
        }

        if (found is null)
        {
            return preference == TransformerGraphPreference.Kernels
                ? throw new ExecutionDeviceException($"device {options.Device}: transformer graph 'kernels' asked for, but {problem}")
                : new(TransformerGraphKind.Portable, portable, problem);
        }

        if (preference == TransformerGraphPreference.Auto && options.Device.Kind != ExecutionProviderKind.Cuda)
        {
            return new(TransformerGraphKind.Portable, portable, "the kernels graph is for CUDA (ask for it to run its CPU ops)");
        }

        library = found;
        return new(TransformerGraphKind.Kernels, kernelsPath, $"{kernels.File} with {found.Path}");
    }
}
