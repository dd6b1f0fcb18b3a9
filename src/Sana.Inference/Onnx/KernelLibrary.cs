using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Sana.Inference.Onnx;

/// <summary>
/// The sana.kernels custom-op library (src/Sana.Kernels, libsana_kernels.so): found, opened once per process and asked
/// what it was built with, so the pipeline can decide on a graph before any session exists. Sessions get its ops with
/// <see cref="Register"/>.
/// </summary>
internal sealed class KernelLibrary
{
    public const string FileName = "libsana_kernels.so";

    /// <summary>Where the library is when no path is configured and it is not beside the application.</summary>
    public const string PathVariable = "SANA_KERNELS_LIBRARY";

    private static readonly ConcurrentDictionary<string, Lazy<(KernelLibrary? Library, string? Problem)>> Opened = new(StringComparer.Ordinal);

    private readonly IntPtr _copy;
    private readonly IntPtr _lastError;

    private KernelLibrary(string path, int opsVersion, bool hasCuda, IntPtr copy, IntPtr lastError)
    {
        Path = path;
        OpsVersion = opsVersion;
        HasCuda = hasCuda;
        _copy = copy;
        _lastError = lastError;
    }

    public string Path { get; }

    /// <summary>The version of the sana.kernels op set the library implements.</summary>
    public int OpsVersion { get; }

    /// <summary>Whether its ops are registered for ONNX Runtime's CUDA provider (built with a CUDA compiler).</summary>
    public bool HasCuda { get; }

    /// <summary>
    /// Opens the library at <paramref name="configuredPath"/>, else at $SANA_KERNELS_LIBRARY, else beside the
    /// application. Returns null with the reason when there is none or it cannot be opened.
    /// </summary>
    public static KernelLibrary? Find(string? configuredPath, out string problem)
    {
        var named = configuredPath is { Length: > 0 } ? configuredPath : Environment.GetEnvironmentVariable(PathVariable);
        var path = System.IO.Path.GetFullPath(named is { Length: > 0 } ? named : System.IO.Path.Combine(AppContext.BaseDirectory, FileName));
        if (!File.Exists(path))
        {
            problem = named is { Length: > 0 }
                ? $"the kernel library {path} does not exist"
                : $"no kernel library beside the application ({path}; ${PathVariable} unset; src/Sana.Kernels/build.sh builds it)";
            return null;
        }

        var (library, openProblem) = Opened.GetOrAdd(path, p => new Lazy<(KernelLibrary?, string?)>(() => Open(p))).Value;
        problem = openProblem ?? "";
        return library;
    }

    /// <summary>Adds the library's op domain to sessions made with <paramref name="options"/>.</summary>
    public void Register(SessionOptions options) => options.RegisterCustomOpLibrary(Path);

    /// <summary>Copies host bytes into device memory, complete when it returns (CUDA builds only).</summary>
    public unsafe void CopyToDevice(IntPtr device, ReadOnlySpan<byte> host)
    {
        fixed (byte* source = host)
        {
            Check(((delegate* unmanaged<void*, void*, nuint, int, int>)_copy)((void*)device, source, (nuint)host.Length, 1));
        }
    }

    /// <summary>Copies device memory into host bytes, complete when it returns (CUDA builds only).</summary>
    public unsafe void CopyToHost(Span<byte> host, IntPtr device)
    {
        fixed (byte* target = host)
        {
            Check(((delegate* unmanaged<void*, void*, nuint, int, int>)_copy)(target, (void*)device, (nuint)host.Length, 0));
        }
    }

    private unsafe void Check(int result)
    {
        if (result != 0)
        {
            var message = Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<byte*>)_lastError)()) ?? "unknown error";
            throw new InvalidOperationException($"{Path}: {message}");
        }
    }

    private static (KernelLibrary?, string?) Open(string path)
    {
        if (!NativeLibrary.TryLoad(path, out var handle))
        {
            return (null, $"the kernel library {path} cannot be loaded on this machine");
        }

        if (!NativeLibrary.TryGetExport(handle, "sana_kernels_ops_version", out var version)
            || !NativeLibrary.TryGetExport(handle, "sana_kernels_has_cuda", out var cuda)
            || !NativeLibrary.TryGetExport(handle, "sana_cuda_copy", out var copy)
            || !NativeLibrary.TryGetExport(handle, "sana_kernels_last_error", out var lastError))
        {
            return (null, $"{path} is not this version's sana kernel library (an entry point is missing)");
        }

        // The handle stays open: ONNX Runtime loads the same file again for each session's registration.
        return (new KernelLibrary(path, Marshal.GetDelegateForFunctionPointer<IntQuery>(version)(),
            Marshal.GetDelegateForFunctionPointer<IntQuery>(cuda)() != 0, copy, lastError), null);
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntQuery();
}
