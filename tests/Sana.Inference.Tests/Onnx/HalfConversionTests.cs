using Microsoft.ML.OnnxRuntime;
using Sana.Inference.Onnx;

namespace Sana.Inference.Tests.Onnx;

/// <summary>
/// The fp16 boundary of fp16 graphs uses .NET's vectorised conversions (OnnxGraph.ToFloat16 / FromFloat16); they must
/// give exactly the bits ONNX Runtime's own Float16 casts give, so that the speed-up changes no image.
/// </summary>
public sealed class HalfConversionTests
{
    [Fact]
    public void Every_fp16_value_converts_back_to_the_same_float_as_Float16s_cast()
    {
        var all = new Float16[65536];
        for (var u = 0; u < all.Length; u++)
        {
            all[u] = new Float16((ushort)u);
        }

        var converted = OnnxGraph.FromFloat16(all);
        for (var u = 0; u < all.Length; u++)
        {
            var expected = (float)all[u];
            Assert.True(
                BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(converted[u]) || (float.IsNaN(expected) && float.IsNaN(converted[u])),
                $"fp16 0x{u:X4}: {converted[u]:R}, Float16 cast gives {expected:R}");
        }
    }

    [Fact]
    public void Floats_round_to_the_same_fp16_bits_as_Float16s_cast_ties_overflow_and_subnormals_included()
    {
        var random = new Random(20261128);
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 65504f, 65519.99f, 65520f, -65520f, 1e6f, float.PositiveInfinity, float.NegativeInfinity,
            5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, 6.097555e-5f, 6.1035156e-5f, 1.00048828125f, 1.000732421875f,
            1.0009765625f, 2049f, 2051f, float.Epsilon, float.MaxValue,
        };
        for (var i = 0; i < 1_000_000; i++)
        {
            values.Add(BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue)));
            values.Add((float)((random.NextDouble() * 16) - 8)); // the range latents and velocities live in
        }

        var converted = OnnxGraph.ToFloat16(values.ToArray());
        for (var i = 0; i < values.Count; i++)
        {
            if (float.IsNaN(values[i]))
            {
                Assert.True(Float16.IsNaN(converted[i]), $"NaN at {i}");
                continue;
            }

            var expected = ((Float16)values[i]).value;
            Assert.True(expected == converted[i].value, $"{values[i]:R}: 0x{converted[i].value:X4}, Float16 cast gives 0x{expected:X4}");
        }
    }
}
