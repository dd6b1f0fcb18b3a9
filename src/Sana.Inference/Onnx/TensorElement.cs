namespace Sana.Inference.Onnx;

/// <summary>The float element type a graph's float inputs and outputs use (the manifest's dtype).</summary>
public enum TensorElement
{
    Fp32,
    Fp16,
    Bf16,
}

internal static class TensorElementNames
{
    public static TensorElement Parse(string dtype) => dtype switch
    {
        "fp32" => TensorElement.Fp32,
        "fp16" => TensorElement.Fp16,
        "bf16" => TensorElement.Bf16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "expected fp32, fp16 or bf16"),
    };
}
