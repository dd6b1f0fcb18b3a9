using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sana.Inference.Tests.Fixtures;

/// <summary>One array read from a NumPy .npy file: its shape, its dtype string and its raw little-endian bytes.</summary>
internal sealed record NpyArray(int[] Shape, string Dtype, byte[] Data)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    public float[] AsSingle() => Dtype switch
    {
        "<f4" => Convert(4, b => BinaryPrimitives.ReadSingleLittleEndian(b)),
        "<f8" => Convert(8, b => (float)BinaryPrimitives.ReadDoubleLittleEndian(b)),
        _ => throw new InvalidDataException($"dtype {Dtype} is not float"),
    };

    public double[] AsDouble() => Dtype switch
    {
        "<f4" => Convert(4, b => (double)BinaryPrimitives.ReadSingleLittleEndian(b)),
        "<f8" => Convert(8, b => BinaryPrimitives.ReadDoubleLittleEndian(b)),
        _ => throw new InvalidDataException($"dtype {Dtype} is not float"),
    };

    public long[] AsInt64() => Dtype switch
    {
        "<i8" => Convert(8, b => BinaryPrimitives.ReadInt64LittleEndian(b)),
        "<i4" => Convert(4, b => (long)BinaryPrimitives.ReadInt32LittleEndian(b)),
        "<u4" => Convert(4, b => (long)BinaryPrimitives.ReadUInt32LittleEndian(b)),
        _ => throw new InvalidDataException($"dtype {Dtype} is not an integer type"),
    };

    private delegate T ReadOne<out T>(ReadOnlySpan<byte> bytes);

    private T[] Convert<T>(int size, ReadOne<T> read)
    {
        var result = new T[Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = read(Data.AsSpan(i * size, size));
        }

        return result;
    }
}

/// <summary>
/// Reads .npy files (format versions 1-3, C order, little-endian numeric dtypes): the format torch/numpy fixtures are
/// saved in, so reference values reach the tests without any conversion that could move a bit.
/// </summary>
internal static partial class NpyReader
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path}: not a .npy file");
        }

        var major = bytes[6];
        int headerLength, headerStart;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            headerStart = 10;
        }
        else
        {
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
            headerStart = 12;
        }

        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
        {
            throw new InvalidDataException($"{path}: unreadable header {header}");
        }

        if (fortran.Groups[1].Value != "False")
        {
            throw new InvalidDataException($"{path}: Fortran order is not supported");
        }

        var dims = shape.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => int.Parse(d, CultureInfo.InvariantCulture))
            .ToArray();
        var dataStart = headerStart + headerLength;
        return new NpyArray(dims, descr.Groups[1].Value, bytes[dataStart..]);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
