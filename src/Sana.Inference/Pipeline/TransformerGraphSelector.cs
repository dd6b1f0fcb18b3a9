using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

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
