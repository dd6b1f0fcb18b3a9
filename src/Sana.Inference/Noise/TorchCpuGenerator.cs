using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sana.Inference.Noise;

/// <summary>
/// The random engine behind <c>torch.Generator("cpu")</c>: a 32-bit Mersenne Twister (mt19937) seeded the way
/// PyTorch 2.11 seeds it, plus the cached double normal that <c>at::normal_distribution&lt;double&gt;</c> keeps.
/// Reproducing it word for word is what lets an image made here be remade in diffusers from its seed and back
/// (shared/reference/torch-randn.md). Not thread-safe: one generator belongs to one draw sequence.
/// </summary>
public sealed class TorchCpuGenerator
{
    private const int StateSize = 624;
    private const int ShiftSize = 397;
    private const uint MatrixA = 0x9908b0df;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7fffffff;

    private readonly uint[] _state = new uint[StateSize];
    private int _left;
    private int _next;
    private double _cachedNormal;
    private bool _hasCachedNormal;

    /// <summary>Same as <c>torch.Generator("cpu").manual_seed(seed)</c>.</summary>
    public TorchCpuGenerator(ulong seed) => ManualSeed(seed);

    /// <summary>The full 64-bit seed last given; only its low 32 bits reach the engine.</summary>
    public ulong Seed { get; private set; }

    /// <summary>
    /// Reseeds as <c>manual_seed</c> does: the engine takes the low 32 bits of <paramref name="seed"/> (so 2^32 + 42
    /// draws the same numbers as 42) and the cached normal is dropped.
    /// </summary>
    public void ManualSeed(ulong seed)
    {
        Seed = seed;
        _state[0] = (uint)seed;
        for (var j = 1; j < StateSize; j++)
        {
            var prev = _state[j - 1];
            _state[j] = unchecked((1812433253u * (prev ^ (prev >> 30))) + (uint)j);
        }

        // torch starts with left = 1 so that the very first draw regenerates the whole state.
        _left = 1;
        _next = 0;
        _hasCachedNormal = false;
        _cachedNormal = 0;
    }

    /// <summary>One 32-bit word: torch's <c>CPUGeneratorImpl::random()</c> (std::mt19937 output).</summary>
    public uint NextUInt32()
    {
        if (--_left == 0)
        {
            Regenerate();
        }

        return Temper(_state[_next++]);
    }

    /// <summary>Two words, the first in the high half: torch's <c>CPUGeneratorImpl::random64()</c>.</summary>
    public ulong NextUInt64()
    {
        ulong high = NextUInt32();
        ulong low = NextUInt32();
        return (high << 32) | low;
    }

    /// <summary>torch's <c>uniform_real_distribution&lt;float&gt;(0, 1)</c>: the low 24 bits of one word.</summary>
    internal float NextUniformSingle() => (NextUInt32() & 0xFFFFFF) * (1f / 16777216f);

    /// <summary>torch's <c>uniform_real_distribution&lt;double&gt;(0, 1)</c>: the low 53 bits of random64.</summary>
    internal double NextUniformDouble() => (NextUInt64() & ((1UL << 53) - 1)) * (1.0 / 9007199254740992.0);

    /// <summary>
    /// Writes one uniform float per element, exactly as repeated <see cref="NextUniformSingle"/> calls would,
    /// without a call per element (a 1024 px latent takes half a million of them).
    /// </summary>
    internal void FillUniformSingles(Span<float> destination)
    {
        ref var state = ref MemoryMarshal.GetArrayDataReference(_state);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        while (i < destination.Length)
        {
            if (_left == 1)
            {
                // The next draw regenerates: take it through the one-word path to keep the bookkeeping in one place.
                Unsafe.Add(ref dst, i++) = NextUniformSingle();
                continue;
            }

            // Words left before a regeneration is due: _left - 1 of them, at _next onwards.
            var run = Math.Min(_left - 1, destination.Length - i);
            ref var words = ref Unsafe.Add(ref state, _next);
            ref var output = ref Unsafe.Add(ref dst, i);
            var k = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; k + 8 <= run; k += 8)
                {
                    var low24 = (Temper(Vector256.LoadUnsafe(ref words, (nuint)k)) & Vector256.Create(0xFFFFFFu)).AsInt32();
                    (Vector256.ConvertToSingle(low24) * Vector256.Create(1f / 16777216f)).StoreUnsafe(ref output, (nuint)k);
                }
            }

            for (; k < run; k++)
            {
                Unsafe.Add(ref output, k) = (Temper(Unsafe.Add(ref words, k)) & 0xFFFFFF) * (1f / 16777216f);
            }

            _next += run;
            _left -= run;
            i += run;
        }
    }

    /// <summary>Takes the normal left over by the previous double-precision draw, if there is one.</summary>
    internal bool TryTakeCachedNormal(out double value)
    {
        value = _cachedNormal;
        if (!_hasCachedNormal)
        {
            return false;
        }

        _hasCachedNormal = false;
        return true;
    }

    internal void CacheNormal(double value)
    {
        _cachedNormal = value;
        _hasCachedNormal = true;
    }

    private static uint Temper(uint y)
    {
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Temper(Vector256<uint> y)
    {
        y ^= Vector256.ShiftRightLogical(y, 11);
        y ^= Vector256.ShiftLeft(y, 7) & Vector256.Create(0x9d2c5680u);
        y ^= Vector256.ShiftLeft(y, 15) & Vector256.Create(0xefc60000u);
        y ^= Vector256.ShiftRightLogical(y, 18);
        return y;
    }

    private static uint Twist(uint u, uint v) =>
        (((u & UpperMask) | (v & LowerMask)) >> 1) ^ ((v & 1) != 0 ? MatrixA : 0u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Twist(Vector256<uint> u, Vector256<uint> v) =>
        Vector256.ShiftRightLogical((u & Vector256.Create(UpperMask)) | (v & Vector256.Create(LowerMask)), 1)
        ^ ((Vector256<uint>.Zero - (v & Vector256<uint>.One)) & Vector256.Create(MatrixA));

    /// <summary>
    /// The standard mt19937 state update. Word j reads words j and j + 1 before they are rewritten and word j + 397
    /// (mod 624), which for j &gt;= 227 was rewritten at least 227 words earlier, so eight words at a time give the
    /// same result as one at a time.
    /// </summary>
    private void Regenerate()
    {
        ref var s = ref MemoryMarshal.GetArrayDataReference(_state);
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= StateSize - ShiftSize; j += 8)
            {
                var twisted = Twist(Vector256.LoadUnsafe(ref s, (nuint)j), Vector256.LoadUnsafe(ref s, (nuint)(j + 1)));
                (Vector256.LoadUnsafe(ref s, (nuint)(j + ShiftSize)) ^ twisted).StoreUnsafe(ref s, (nuint)j);
            }
        }

        for (; j < StateSize - ShiftSize; j++)
        {
            Unsafe.Add(ref s, j) = Unsafe.Add(ref s, j + ShiftSize) ^ Twist(Unsafe.Add(ref s, j), Unsafe.Add(ref s, j + 1));
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= StateSize - 1; j += 8)
            {
                var twisted = Twist(Vector256.LoadUnsafe(ref s, (nuint)j), Vector256.LoadUnsafe(ref s, (nuint)(j + 1)));
                (Vector256.LoadUnsafe(ref s, (nuint)(j + ShiftSize - StateSize)) ^ twisted).StoreUnsafe(ref s, (nuint)j);
            }
        }

        for (; j < StateSize - 1; j++)
        {
            Unsafe.Add(ref s, j) = Unsafe.Add(ref s, j + ShiftSize - StateSize) ^ Twist(Unsafe.Add(ref s, j), Unsafe.Add(ref s, j + 1));
        }

        Unsafe.Add(ref s, StateSize - 1) = Unsafe.Add(ref s, ShiftSize - 1) ^ Twist(Unsafe.Add(ref s, StateSize - 1), s);
        _left = StateSize;
        _next = 0;
    }
}
