using Sana.Kernels.Tests.Support;
using Xunit.Abstractions;

namespace Sana.Kernels.Tests;

/// <summary>
/// Every sana.kernels op (the library's CPU implementations, through ONNX Runtime as a session runs them) against its
/// decomposition into standard ONNX ops, on fresh random inputs: batch 1 and 32, sizes that take the vector and the
/// scalar paths, float32 and float16. Float32 must agree to rounding (1e-5 relative); float16 inputs are compared with
/// the float32 decomposition of the same rounded values, within what float16 outputs can hold (5e-3 relative).
/// </summary>
public sealed class KernelOpTests(ITestOutputHelper output)
{
    private readonly Random _random = new(Environment.TickCount);

    public static TheoryData<long, long, long, bool> RowCases => new()
    {
        { 1, 7, 40, false },
        { 32, 5, 24, false },
        { 2, 3, 77, false },
        { 1, 7, 40, true },
        { 32, 3, 40, true },
        { 3, 2, 77, true },
    };

    [Theory]
    [MemberData(nameof(RowCases))]
    public void ModulatedNorm_matches_layer_norm_with_modulation(long batch, long tokens, long dim, bool half)
    {
        var inputs = new[] { Tensor("x", half, 2.0, batch, tokens, dim), Tensor("mod", half, 0.5, batch, 6, dim) };
        var got = GraphRunner.Run(OpGraphs.ModulatedNormOp(half, 3, 4, 1e-6f), inputs, "y")[0];
        var expected = GraphRunner.Run(OpGraphs.ModulatedNormReference(dim, 3, 4, 1e-6f), Floats(inputs), "y")[0];
        AssertClose("ModulatedNorm", half, got, expected);
    }

    [Theory]
    [MemberData(nameof(RowCases))]
    public void GatedResidual_matches_bias_clip_gate_and_residual(long batch, long tokens, long dim, bool half)
    {
        var y = Tensor("y", half, 3.0, batch, tokens, dim);
        // a few values past float16's range, so the clip is exercised (float16 inputs then hold infinity)
        y.Data[0] = 70000f;
        y.Data[^1] = -80000f;
        var mod = Tensor("mod", half, 0.5, batch, 6, dim);
        // their gates (row 2) below 1, so the clipped values stay inside float16's range after the residual
        mod.Data[2 * dim] = 0.25f;
        mod.Data[(((batch - 1) * 6) + 2) * dim + dim - 1] = -0.25f;
        var inputs = new[] { Tensor("x", half, 1.0, batch, tokens, dim), y, Tensor("bias", half, 0.1, dim), mod };
        var got = GraphRunner.Run(OpGraphs.GatedResidualOp(half, 2, clip: true), inputs, "x_out")[0];
        var expected = GraphRunner.Run(OpGraphs.GatedResidualReference(2, clip: true, withBias: true), Floats(inputs), "x_out")[0];
        AssertClose("GatedResidual", half, got, expected);
    }

    [Theory]
    [MemberData(nameof(RowCases))]
    public void ResidualModulatedNorm_matches_with_and_without_gate_and_bias(long batch, long tokens, long dim, bool half)
    {
        var x = Tensor("x", half, 1.0, batch, tokens, dim);
        var y = Tensor("y", half, 2.0, batch, tokens, dim);
        var gate = Tensor("gate_mod", half, 0.5, batch, 6, dim);
        var norm = Tensor("norm_mod", half, 0.5, batch, 2, dim);
        foreach (var (gateRow, withBias) in new[] { (5L, false), (-1L, true) })
        {
            var bias = withBias ? Tensor("bias", half, 0.1, dim) : new TestTensor("bias", [], [0], half);
            var opInputs = new[] { x, y, bias, gate, norm };
            var got = GraphRunner.Run(OpGraphs.ResidualModulatedNormOp(half, gateRow, 0, 1, 1e-6f, clip: false), opInputs, "x_out", "norm");
            var referenceInputs = withBias ? opInputs : [x, y, gate, norm];
            var expected = GraphRunner.Run(OpGraphs.ResidualModulatedNormReference(dim, gateRow, 0, 1, 1e-6f, clip: false, withBias), Floats(referenceInputs), "x_out", "norm");
            AssertClose($"ResidualModulatedNorm.x_out gate {gateRow}", half, got[0], expected[0]);
            AssertClose($"ResidualModulatedNorm.norm gate {gateRow}", half, got[1], expected[1]);
        }
    }

    public static TheoryData<long, long, long, long, bool> AttentionCases => new()
    {
        { 1, 9, 2, 8, false },
        { 32, 6, 3, 4, false },
        { 2, 17, 3, 5, false },
        { 1, 9, 2, 8, true },
        { 32, 5, 2, 32, true },
    };

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void LinearAttention_matches_diffusers_float32_maths_with_pag_on_and_off(long batch, long tokens, long heads, long headDim, bool half)
    {
        var width = heads * headDim;
        var qkv = Tensor("qkv", half, 1.0, batch, tokens, 3 * width);
        var layerMask = new TestTensor("layer_mask", [0f, 1f, 0f], [3]);
        foreach (var (perturbLast, withBias) in new[] { (false, true), (true, true), (true, false) })
        {
            var sampleMask = new float[batch];
            sampleMask[^1] = perturbLast ? 1f : 0f;
            var samples = new TestTensor("sample_mask", sampleMask, [batch]);
            var bias = withBias ? Tensor("bias", half, 0.2, 3 * width) : new TestTensor("bias", [], [0], half);
            var got = GraphRunner.Run(OpGraphs.LinearAttentionOp(half, heads, layer: 1), [qkv, bias, layerMask, samples], "state", "out");
            TestTensor[] referenceInputs = withBias ? [qkv, bias, layerMask, samples] : [qkv, layerMask, samples];
            var expected = GraphRunner.Run(OpGraphs.LinearAttentionReference(heads, headDim, 1, withBias), Floats(referenceInputs), "state", "out");
            var label = $"LinearAttention B={batch} H={heads} d={headDim} PAG {(perturbLast ? "on" : "off")}, bias {withBias}";
            // the state is float32 whatever the element type: only its inputs are rounded
            AssertClose(label + " state", half: false, got[0], expected[0], half ? 5e-3 : 1e-5);
            AssertClose(label + " out", half, got[1], expected[1]);
        }
    }

    public static TheoryData<long, long, long, long, bool> ConvCases => new()
    {
        { 1, 5, 7, 8, false },
        { 32, 3, 4, 6, false },
        { 2, 4, 3, 13, false },
        { 1, 5, 7, 8, true },
        { 2, 3, 5, 13, true },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void DepthwiseConvGlu_matches_silu_depthwise_conv_and_glu(long batch, long height, long width, long channels, bool half)
    {
        var inputs = new[]
        {
            Tensor("h", half, 2.0, batch, height * width, 2 * channels), Tensor("bias_in", half, 0.3, 2 * channels),
            Tensor("weight", half, 0.3, 3, 3, 2 * channels), Tensor("bias_dw", half, 0.3, 2 * channels),
        };
        var grid = new TestTensor("grid", new float[batch * height * width], [batch, 1, height, width], half);
        var got = GraphRunner.Run(OpGraphs.DepthwiseConvGluOp(half), [.. inputs, grid], "out")[0];
        var expected = GraphRunner.Run(OpGraphs.DepthwiseConvGluReference(height, width, channels), Floats(inputs), "out")[0];
        AssertClose($"DepthwiseConvGlu {height}x{width} C={channels}", half, got, expected);
    }

    private TestTensor Tensor(string name, bool half, double scale, params long[] shape) =>
        new(name, Numbers.Normal(_random, shape.Aggregate(1L, (a, b) => a * b), scale), shape, half);

    private static TestTensor[] Floats(IEnumerable<TestTensor> inputs) => inputs.Select(i => i.AsFloat()).ToArray();

    private void AssertClose(string label, bool half, float[] got, float[] expected, double? tolerance = null)
    {
        var limit = tolerance ?? (half ? 5e-3 : 1e-5);
        var error = Numbers.RelativeError(got, expected);
        output.WriteLine($"{label} ({(half ? "float16" : "float32")}): relative error {error:E2} (limit {limit:E0})");
        Assert.True(error <= limit, $"{label}: relative error {error:E3} over {limit:E1}");
    }
}
