using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sana.Inference.Noise;

/// <summary>
/// torch's <c>normal_fill_16_AVX2</c>: turns 16 uniforms in place into 16 normals, lane j pairing element j with
/// element j + 8. The log and sincos are the Cephes polynomials of avx_mathfun.h with the FMAs where GCC put them
/// in the Linux x86-64 wheel; libm functions or a different FMA placement change 1-17% of the values by an ulp or
/// two, which is enough to make an image differ from diffusers' for the same seed. Two forms that give identical
/// bits: <see cref="Scalar"/>, the readable reference, and <see cref="Vector"/>, eight lanes at a time.
/// </summary>
internal static class BoxMuller16
{
    // Every constant is the C double literal cast to float, as avx_mathfun.h declares them.
    private const float TwoPi = (float)(2.0 * Math.PI);
    private const float SqrtHalf = (float)0.707106781186547524;
    private const float LogP0 = (float)7.0376836292E-2;
    private const float LogP1 = (float)-1.1514610310E-1;
    private const float LogP2 = (float)1.1676998740E-1;
    private const float LogP3 = (float)-1.2420140846E-1;
    private const float LogP4 = (float)1.4249322787E-1;
    private const float LogP5 = (float)-1.6668057665E-1;
    private const float LogP6 = (float)2.0000714765E-1;
    private const float LogP7 = (float)-2.4999993993E-1;
    private const float LogP8 = (float)3.3333331174E-1;
    private const float LogQ1 = (float)-2.12194440e-4;
    private const float LogQ2 = (float)0.693359375;
    private const float FourOverPi = (float)1.27323954473516;
    private const float MinusDp1 = (float)-0.78515625;
    private const float MinusDp2 = (float)-2.4187564849853515625e-4;
    private const float MinusDp3 = (float)-3.77489497744594108e-8;
    private const float SinP0 = (float)-1.9515295891E-4;
    private const float SinP1 = (float)8.3321608736E-3;
    private const float SinP2 = (float)-1.6666654611E-1;
    private const float CosP0 = (float)2.443315711809948E-5;
    private const float CosP1 = (float)-1.388731625493765E-3;
    private const float CosP2 = (float)4.166664568298827E-2;
    private const int MinNormalBits = 0x00800000;
    private const int ExponentMask = 0x7f800000;
    private const int HalfBits = 0x3f000000;

    public static void Scalar(Span<float> block, float mean, float std)
    {
        for (var j = 0; j < 8; j++)
        {
            var u1 = 1f - block[j];
            var u2 = block[j + 8];
            var radius = MathF.Sqrt(-2f * Log(u1));
            SinCos(TwoPi * u2, out var sin, out var cos);
            block[j] = MathF.FusedMultiplyAdd(radius * cos, std, mean);
            block[j + 8] = MathF.FusedMultiplyAdd(radius * sin, std, mean);
        }
    }

    public static void Vector(Span<float> block, float mean, float std)
    {
        ref var d = ref MemoryMarshal.GetReference(block);
        var u1 = Vector256<float>.One - Vector256.LoadUnsafe(ref d);
        var u2 = Vector256.LoadUnsafe(ref d, 8);
        var radius = Vector256.Sqrt(Vector256.Create(-2f) * Log(u1));
        SinCos(Vector256.Create(TwoPi) * u2, out var sin, out var cos);
        var stdV = Vector256.Create(std);
        var meanV = Vector256.Create(mean);
        Vector256.FusedMultiplyAdd(radius * cos, stdV, meanV).StoreUnsafe(ref d);
        Vector256.FusedMultiplyAdd(radius * sin, stdV, meanV).StoreUnsafe(ref d, 8);
    }

    private static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    private static float Log(float x)
    {
        x = MathF.Max(x, BitConverter.Int32BitsToSingle(MinNormalBits));
        var bits = BitConverter.SingleToInt32Bits(x);
        var e = (float)((int)((uint)bits >> 23) - 127) + 1f;
        x = BitConverter.Int32BitsToSingle((bits & ~ExponentMask) | HalfBits);
        var below = x < SqrtHalf;
        var t = below ? x : 0f;
        x -= 1f;
        e -= below ? 1f : 0f;
        x += t;
        var z = x * x;
        var y = LogP0;
        y = Fma(y, x, LogP1);
        y = Fma(y, x, LogP2);
        y = Fma(y, x, LogP3);
        y = Fma(y, x, LogP4);
        y = Fma(y, x, LogP5);
        y = Fma(y, x, LogP6);
        y = Fma(y, x, LogP7);
        y = Fma(y, x, LogP8);
        y *= x;
        y = Fma(y, z, e * LogQ1);
        y = Fma(-z, 0.5f, y);
        x += y;
        return Fma(e, LogQ2, x);
    }

    private static void SinCos(float t, out float sin, out float cos)
    {
        var tBits = BitConverter.SingleToInt32Bits(t);
        var signSin = tBits & int.MinValue;
        var x = BitConverter.Int32BitsToSingle(tBits & int.MaxValue);
        var k = ((int)(x * FourOverPi) + 1) & ~1;
        var y = (float)k;
        x = Fma(y, MinusDp1, x);
        x = Fma(y, MinusDp2, x);
        x = Fma(y, MinusDp3, x);
        var z = x * x;
        var yc = Fma(Fma(CosP0, z, CosP1), z, CosP2) * z;
        yc = Fma(yc, z, -(z * 0.5f)) + 1f;
        var ys = Fma(Fma(SinP0, z, SinP1), z, SinP2) * z;
        ys = Fma(ys, x, x);

        // avx_mathfun blends with and/andnot, subtract and add rather than a select; reproduced so that signed
        // zeros come out the same way.
        var sinPoly = (k & 2) == 0;
        var sinFromSin = sinPoly ? ys : 0f;
        var sinFromCos = sinPoly ? 0f : yc;
        var cosFromSin = ys - sinFromSin;
        var cosFromCos = yc - sinFromCos;
        signSin ^= (k & 4) << 29;
        var signCos = (~(k - 2) & 4) << 29;
        sin = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(sinFromCos + sinFromSin) ^ signSin);
        cos = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(cosFromCos + cosFromSin) ^ signCos);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Log(Vector256<float> x)
    {
        var one = Vector256<float>.One;
        x = Vector256.Max(x, Vector256.Create(MinNormalBits).AsSingle());
        var bits = x.AsInt32();
        var exponent = Vector256.ShiftRightLogical(bits, 23) - Vector256.Create(127);
        var e = Vector256.ConvertToSingle(exponent) + one;
        x = ((bits & Vector256.Create(~ExponentMask)) | Vector256.Create(HalfBits)).AsSingle();
        var below = Vector256.LessThan(x, Vector256.Create(SqrtHalf));
        var t = x & below;
        x -= one;
        e -= one & below;
        x += t;
        var z = x * x;
        var y = Vector256.Create(LogP0);
        y = Fma(y, x, Vector256.Create(LogP1));
        y = Fma(y, x, Vector256.Create(LogP2));
        y = Fma(y, x, Vector256.Create(LogP3));
        y = Fma(y, x, Vector256.Create(LogP4));
        y = Fma(y, x, Vector256.Create(LogP5));
        y = Fma(y, x, Vector256.Create(LogP6));
        y = Fma(y, x, Vector256.Create(LogP7));
        y = Fma(y, x, Vector256.Create(LogP8));
        y *= x;
        y = Fma(y, z, e * Vector256.Create(LogQ1));
        y = Fma(-z, Vector256.Create(0.5f), y);
        x += y;
        return Fma(e, Vector256.Create(LogQ2), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SinCos(Vector256<float> t, out Vector256<float> sin, out Vector256<float> cos)
    {
        var tBits = t.AsInt32();
        var signSin = tBits & Vector256.Create(int.MinValue);
        var x = (tBits & Vector256.Create(int.MaxValue)).AsSingle();
        var k = Vector256.ConvertToInt32(x * Vector256.Create(FourOverPi));
        k = (k + Vector256<int>.One) & Vector256.Create(~1);
        var y = Vector256.ConvertToSingle(k);
        x = Fma(y, Vector256.Create(MinusDp1), x);
        x = Fma(y, Vector256.Create(MinusDp2), x);
        x = Fma(y, Vector256.Create(MinusDp3), x);
        var z = x * x;
        var yc = Fma(Fma(Vector256.Create(CosP0), z, Vector256.Create(CosP1)), z, Vector256.Create(CosP2)) * z;
        yc = Fma(yc, z, -(z * Vector256.Create(0.5f))) + Vector256<float>.One;
        var ys = Fma(Fma(Vector256.Create(SinP0), z, Vector256.Create(SinP1)), z, Vector256.Create(SinP2)) * z;
        ys = Fma(ys, x, x);

        var four = Vector256.Create(4);
        var sinPoly = Vector256.Equals(k & Vector256.Create(2), Vector256<int>.Zero).AsSingle();
        var sinFromSin = ys & sinPoly;
        var sinFromCos = Vector256.AndNot(yc, sinPoly);
        var cosFromSin = ys - sinFromSin;
        var cosFromCos = yc - sinFromCos;
        signSin ^= Vector256.ShiftLeft(k & four, 29);
        var signCos = Vector256.ShiftLeft(Vector256.AndNot(four, k - Vector256.Create(2)), 29);
        sin = ((sinFromCos + sinFromSin).AsInt32() ^ signSin).AsSingle();
        cos = ((cosFromCos + cosFromSin).AsInt32() ^ signCos).AsSingle();
    }
}
