namespace Sana.Kernels.Tests.Support;

/// <summary>
/// Each sana.kernels op as a one-node graph, and the same computation written with standard ONNX ops (float32): the
/// portable decomposition the op replaces, which the tests run beside it.
/// </summary>
internal static class OpGraphs
{
    public const string Domain = "sana.kernels";

    private static OnnxModelBuilder OpModel() => new OnnxModelBuilder().UseDomain(Domain, 1);

    private static int Type(bool half) => half ? OnnxModelBuilder.Float16 : OnnxModelBuilder.Float;

    /// <summary>ModulatedNorm(x, modulation) -> y.</summary>
    public static byte[] ModulatedNormOp(bool half, long shiftRow, long scaleRow, float epsilon)
    {
        var m = OpModel();
        var y = m.NodeWithOutputs("ModulatedNorm", Domain, [m.Input("x", 3, Type(half)), m.Input("mod", 3, Type(half))], 1,
            ("shift_row", shiftRow), ("scale_row", scaleRow), ("epsilon", epsilon))[0];
        m.MarkOutput(y, "y", 3, Type(half));
        return m.Build();
    }

    public static byte[] ModulatedNormReference(long dim, long shiftRow, long scaleRow, float epsilon)
    {
        var m = new OnnxModelBuilder();
        var norm = Modulate(m, LayerNorm(m, m.Input("x", 3), dim, epsilon), m.Input("mod", 3), shiftRow, scaleRow);
        m.MarkOutput(norm, "y", 3);
        return m.Build();
    }

    /// <summary>GatedResidual(x, y, bias, modulation) -> x_out.</summary>
    public static byte[] GatedResidualOp(bool half, long gateRow, bool clip)
    {
        var m = OpModel();
        var t = Type(half);
        var x = m.NodeWithOutputs("GatedResidual", Domain, [m.Input("x", 3, t), m.Input("y", 3, t), m.Input("bias", 1, t), m.Input("mod", 3, t)], 1,
            ("gate_row", gateRow), ("clip", clip ? 1L : 0L))[0];
        m.MarkOutput(x, "x_out", 3, t);
        return m.Build();
    }

    public static byte[] GatedResidualReference(long gateRow, bool clip, bool withBias)
    {
        var m = new OnnxModelBuilder();
        var x = m.Input("x", 3);
        var y = BiasedY(m, m.Input("y", 3), withBias ? m.Input("bias", 1) : null, clip);
        m.MarkOutput(m.Node("Add", [x, m.Node("Mul", [Row(m, m.Input("mod", 3), gateRow), y])]), "x_out", 3);
        return m.Build();
    }

    /// <summary>ResidualModulatedNorm(x, y, bias, gate_modulation, norm_modulation) -> (x_out, norm).</summary>
    public static byte[] ResidualModulatedNormOp(bool half, long gateRow, long shiftRow, long scaleRow, float epsilon, bool clip)
    {
        var m = OpModel();
        var t = Type(half);
        var outs = m.NodeWithOutputs("ResidualModulatedNorm", Domain,
            [m.Input("x", 3, t), m.Input("y", 3, t), m.Input("bias", 1, t), m.Input("gate_mod", 3, t), m.Input("norm_mod", 3, t)], 2,
            ("gate_row", gateRow), ("shift_row", shiftRow), ("scale_row", scaleRow), ("epsilon", epsilon), ("clip", clip ? 1L : 0L));
        m.MarkOutput(outs[0], "x_out", 3, t);
        m.MarkOutput(outs[1], "norm", 3, t);
        return m.Build();
    }

    public static byte[] ResidualModulatedNormReference(long dim, long gateRow, long shiftRow, long scaleRow, float epsilon, bool clip, bool withBias)
    {
        var m = new OnnxModelBuilder();
        var x = m.Input("x", 3);
        var y = BiasedY(m, m.Input("y", 3), withBias ? m.Input("bias", 1) : null, clip);
        var gateMod = m.Input("gate_mod", 3);
        var residual = m.Node("Add", [x, gateRow >= 0 ? m.Node("Mul", [Row(m, gateMod, gateRow), y]) : y]);
        m.MarkOutput(residual, "x_out", 3);
        m.MarkOutput(Modulate(m, LayerNorm(m, residual, dim, epsilon), m.Input("norm_mod", 3), shiftRow, scaleRow), "norm", 3);
        return m.Build();
    }

    /// <summary>LinearAttentionState then LinearAttention: qkv, bias, pag masks -> (state, out).</summary>
    public static byte[] LinearAttentionOp(bool half, long heads, long layer)
    {
        var m = OpModel();
        var t = Type(half);
        var qkv = m.Input("qkv", 3, t);
        var bias = m.Input("bias", 1, t);
        var state = m.NodeWithOutputs("LinearAttentionState", Domain, [qkv, bias], 1, ("heads", heads))[0];
        var outs = m.NodeWithOutputs("LinearAttention", Domain, [qkv, bias, state, m.Input("layer_mask", 1), m.Input("sample_mask", 1)], 1,
            ("heads", heads), ("layer", layer), ("epsilon", 1e-15f));
        m.MarkOutput(state, "state", 4);
        m.MarkOutput(outs[0], "out", 3, t);
        return m.Build();
    }

    /// <summary>diffusers' linear attention in standard ONNX (the einsums are its two float32 matmuls), PAG's switch by Where.</summary>
    public static byte[] LinearAttentionReference(long heads, long headDim, long layer, bool withBias)
    {
        var m = new OnnxModelBuilder();
        var width = heads * headDim;
        var qkv = m.Input("qkv", 3);
        var projected = withBias ? m.Node("Add", [qkv, m.Input("bias", 1)]) : qkv;
        var parts = m.NodeWithOutputs("Split", "", [projected, m.Constant(new long[] { width, width, width }, 3)], 3, ("axis", 2L));
        var perHead = m.Constant(new long[] { 0, 0, heads, headDim }, 4);
        var q = m.Node("Reshape", [m.Node("Relu", [parts[0]]), perHead]);
        var k = m.Node("Reshape", [m.Node("Relu", [parts[1]]), perHead]);
        var v = m.Node("Reshape", [parts[2], perHead]);
        var vk = m.Node("Einsum", [v, k], ("equation", "bnhi,bnhj->bhij"));
        var ksum = m.Node("ReduceSum", [k, m.Constant(new long[] { 1 }, 1)], ("keepdims", 0L));
        var state = m.Node("Concat", [vk, m.Node("Unsqueeze", [ksum, m.Constant(new long[] { 2 }, 1)])], ("axis", 2L));
        var numerator = m.Node("Einsum", [vk, q], ("equation", "bhij,bnhj->bnhi"));
        var denominator = m.Node("Unsqueeze", [m.Node("Einsum", [ksum, q], ("equation", "bhj,bnhj->bnh")), m.Constant(new long[] { 3 }, 1)]);
        var attention = m.Node("Div", [numerator, m.Node("Add", [denominator, m.Constant([1e-15f])])]);
        var flat = m.Constant(new long[] { 0, 0, width }, 3);
        var perturbed = m.Node("Mul", [m.Node("Gather", [m.Input("layer_mask", 1), m.Constant(new long[] { layer })], ("axis", 0L)), m.Input("sample_mask", 1)]);
        var identity = m.Node("Reshape", [m.Node("Greater", [perturbed, m.Constant([0.5f])]), m.Constant(new long[] { -1, 1, 1 }, 3)]);
        m.MarkOutput(state, "state", 4);
        m.MarkOutput(m.Node("Where", [identity, parts[2], m.Node("Reshape", [attention, flat])]), "out", 3);
        return m.Build();
    }

    /// <summary>DepthwiseConvGlu(h, bias_in, weight [3, 3, 2C], bias_dw, grid_source) -> out.</summary>
    public static byte[] DepthwiseConvGluOp(bool half)
    {
        var m = OpModel();
        var t = Type(half);
        var outs = m.NodeWithOutputs("DepthwiseConvGlu", Domain,
            [m.Input("h", 3, t), m.Input("bias_in", 1, t), m.Input("weight", 3, t), m.Input("bias_dw", 1, t), m.Input("grid", 4, t)], 1,
            ("patch_size", 1L));
        m.MarkOutput(outs[0], "out", 3, t);
        return m.Build();
    }

    /// <summary>diffusers' GLUMBConv middle: SiLU, NCHW depthwise Conv, chunk, value * SiLU(gate), back to tokens.</summary>
    public static byte[] DepthwiseConvGluReference(long height, long width, long channels)
    {
        var m = new OnnxModelBuilder();
        var c2 = 2 * channels;
        var a = Silu(m, m.Node("Add", [m.Input("h", 3), m.Input("bias_in", 1)]));
        var image = m.Node("Transpose", [m.Node("Reshape", [a, m.Constant(new long[] { 0, height, width, c2 }, 4)])], ("perm", new long[] { 0, 3, 1, 2 }));
        var kernel = m.Node("Reshape", [m.Node("Transpose", [m.Input("weight", 3)], ("perm", new long[] { 2, 0, 1 })), m.Constant(new long[] { c2, 1, 3, 3 }, 4)]);
        var conv = m.Node("Conv", [image, kernel, m.Input("bias_dw", 1)], ("group", c2), ("pads", new long[] { 1, 1, 1, 1 }), ("kernel_shape", new long[] { 3, 3 }));
        var halves = m.NodeWithOutputs("Split", "", [conv, m.Constant(new long[] { channels, channels }, 2)], 2, ("axis", 1L));
        var glu = m.Node("Mul", [halves[0], Silu(m, halves[1])]);
        var tokens = m.Node("Reshape", [m.Node("Transpose", [glu], ("perm", new long[] { 0, 2, 3, 1 })), m.Constant(new long[] { 0, -1, channels }, 3)]);
        m.MarkOutput(tokens, "out", 3);
        return m.Build();
    }

    private static string Silu(OnnxModelBuilder m, string x) => m.Node("Mul", [x, m.Node("Sigmoid", [x])]);

    private static string LayerNorm(OnnxModelBuilder m, string x, long dim, float epsilon) =>
        m.Node("LayerNormalization", [x, m.Constant(Enumerable.Repeat(1f, (int)dim).ToArray(), dim), m.Constant(new float[dim], dim)],
            ("axis", -1L), ("epsilon", epsilon));

    /// <summary>modulation[:, row:row + 1]: one row of a [B, R, D] modulation, broadcast over the tokens.</summary>
    private static string Row(OnnxModelBuilder m, string modulation, long row) =>
        m.Node("Slice", [modulation, m.Constant(new[] { row }, 1), m.Constant(new[] { row + 1 }, 1), m.Constant(new long[] { 1 }, 1)]);

    private static string Modulate(OnnxModelBuilder m, string normed, string modulation, long shiftRow, long scaleRow) =>
        m.Node("Add", [m.Node("Mul", [normed, m.Node("Add", [Row(m, modulation, scaleRow), m.Constant([1f])])]), Row(m, modulation, shiftRow)]);

    private static string BiasedY(OnnxModelBuilder m, string y, string? bias, bool clip)
    {
        var biased = bias is null ? y : m.Node("Add", [y, bias]);
        return clip ? m.Node("Clip", [biased, m.Constant([-65504f]), m.Constant([65504f])]) : biased;
    }
}
