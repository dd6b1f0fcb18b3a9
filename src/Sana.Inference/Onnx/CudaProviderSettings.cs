using System.Globalization;

namespace Sana.Inference.Onnx;

/// <summary>
/// The CUDA execution provider options a pipeline opens its sessions with: our defaults, then the caller's
/// (<see cref="Pipeline.PipelineOptions.CudaProviderOptions"/>). Keys are checked here, against the options ONNX
/// Runtime's CUDA provider documents, so a typo is an error naming the key instead of a setting silently ignored.
/// </summary>
public static class CudaProviderSettings
{
    /// <summary>
    /// Options a caller may set. device_id is not one (the pipeline's device decides it); enable_cuda_graph is not
    /// either: graph capture needs every input and output bound to device memory, and the pipeline exchanges its
    /// tensors with the host.
    /// </summary>
    public static readonly IReadOnlySet<string> Settable = new HashSet<string>(StringComparer.Ordinal)
    {
        "gpu_mem_limit", "arena_extend_strategy", "cudnn_conv_algo_search", "do_copy_in_default_stream",
        "cudnn_conv_use_max_workspace", "cudnn_conv1d_pad_to_nc1d", "enable_skip_layer_norm_strict_mode",
        "use_tf32", "prefer_nhwc", "use_ep_level_unified_stream", "tunable_op_enable", "tunable_op_tuning_enable",
        "tunable_op_max_tuning_duration_ms", "fuse_conv_bias", "sdpa_kernel",
    };

    /// <summary>
    /// Our defaults. cudnn_conv_algo_search EXHAUSTIVE: DC-AE's and the transformer's convolutions run with the
    /// same shapes for a whole job, so cuDNN's one-off benchmark per shape pays for itself (ONNX Runtime's default
    /// too, stated here so a change of default upstream does not change our speed silently). prefer_nhwc 1: cuDNN's
    /// NHWC convolutions; the fused transformer graph (tools/export/ort_transformer.py) keeps its feed-forward in
    /// token order, which is NHWC, so the Transpose pair around each depthwise Conv folds away. Measured on an H200
    /// (1600M fp16, fused graph; benchmarks/results/2026-11-28-h200-session4): batch 16, what bulk jobs run, 359
    /// against 379 ms per step; batch 1 lost then (39 against 29 ms per step) to host copies of shape values, which
    /// the v2 graph no longer makes: 27.4 ms per step at batch 1 with prefer_nhwc=1 (session 5).
    /// sdpa_kernel: ONNX Runtime's attention backends as a bit mask; ours is its default set (flash 1, memory-efficient 2, TensorRT fused 4, unfused 16, TensorRT flash 32, TensorRT cross 64) plus cuDNN's
    /// flash attention (8), off unless asked for. The fused transformer graph gives its cross-attention the text's
    /// valid key lengths, which ONNX Runtime's own flash and memory-efficient kernels do not take and cuDNN's does
    /// (without it that attention falls back to the unfused kernel).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Defaults = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cudnn_conv_algo_search"] = "EXHAUSTIVE",
        ["prefer_nhwc"] = "1",
        ["sdpa_kernel"] = DefaultAttentionBackends.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>sdpa_kernel's default: 1 | 2 | 4 | 8 | 16 | 32 | 64 (see <see cref="Defaults"/>).</summary>
    public const int DefaultAttentionBackends = 127;

    /// <summary>Parses "key=value" pairs (a CLI's repeated option); throws FormatException naming the bad one.</summary>
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string> pairs, string field)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == pair.Length - 1)
            {
                throw new FormatException($"{field}: '{pair}' is not KEY=VALUE (e.g. prefer_nhwc=1)");
            }

            result[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }

        Validate(result, field);
        return result;
    }

    /// <summary>
    /// Throws FormatException ("FIELD: only with a CUDA device (--device is DEVICE)") when a command line sets CUDA
    /// options for a device that is not CUDA: refused at the command line, before anything loads.
    /// </summary>
    public static void RequireCudaDevice(IReadOnlyDictionary<string, string> options, bool deviceIsCuda, string device, string field)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Count > 0 && !deviceIsCuda)
        {
            throw new FormatException($"{field}: only with a CUDA device (--device is {device})");
        }
    }

    /// <summary>Throws FormatException naming the first key that is not <see cref="Settable"/>.</summary>
    public static void Validate(IReadOnlyDictionary<string, string> options, string field)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var key in options.Keys)
        {
            if (!Settable.Contains(key))
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{field}: '{key}' is not a CUDA provider option that can be set here (one of: {string.Join(", ", Settable.Order(StringComparer.Ordinal))})"));
            }
        }
    }

    /// <summary>What the provider is given for <paramref name="deviceId"/>: defaults, then the caller's options.</summary>
    public static Dictionary<string, string> Resolve(int deviceId, IReadOnlyDictionary<string, string> options)
    {
        var resolved = new Dictionary<string, string>(Defaults, StringComparer.Ordinal);
        foreach (var (key, value) in options)
        {
            resolved[key] = value;
        }

        resolved["device_id"] = deviceId.ToString(CultureInfo.InvariantCulture);
        return resolved;
    }
}
