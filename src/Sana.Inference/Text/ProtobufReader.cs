using System.Buffers.Binary;
using System.Text;

namespace Sana.Inference.Text;

/// <summary>
/// The protobuf wire format, just enough of it to read a SentencePiece ModelProto without a protobuf package:
/// varints, fixed32 floats, length-delimited strings and sub-messages, and skipping of fields we do not read.
/// Every overrun is reported as a damaged file rather than an index exception, since a truncated download is the
/// usual cause.
/// </summary>
internal ref struct ProtobufReader
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _source;
    private readonly string _message;
    private readonly int _baseOffset;
    private int _position;

    public ProtobufReader(ReadOnlySpan<byte> data, string source, string message, int baseOffset = 0)
    {
        _data = data;
        _source = source;
        _message = message;
        _baseOffset = baseOffset;
        _position = 0;
    }

    /// <summary>Offset in the whole file of the next byte, for nested readers and error messages.</summary>
    public readonly int FileOffset => _baseOffset + _position;

    public bool TryReadTag(out int fieldNumber, out int wireType)
    {
        if (_position >= _data.Length)
        {
            fieldNumber = 0;
            wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        fieldNumber = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (fieldNumber == 0)
        {
            throw Damaged($"field number 0 at byte {FileOffset}");
        }

        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw Damaged($"truncated varint at byte {FileOffset}");
            }

            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Damaged($"varint longer than 10 bytes at byte {FileOffset}");
    }

    public float ReadFloat()
    {
        var bytes = Take(4);
        return BinaryPrimitives.ReadSingleLittleEndian(bytes);
    }

    /// <summary>A length-delimited field's payload; <paramref name="payloadOffset"/> is its offset in the file.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited(out int payloadOffset)
    {
        var length = ReadVarint();
        if (length > int.MaxValue)
        {
            throw Damaged($"length {length} at byte {FileOffset} is too large");
        }

        payloadOffset = FileOffset;
        return Take((int)length);
    }

    public string ReadString(string field)
    {
        var bytes = ReadLengthDelimited(out var offset);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new TokenizerFormatException(_source, field, $"invalid UTF-8 in the string at byte {offset}", ex);
        }
    }

    /// <summary>Checks a known field arrived with the wire type the schema gives it.</summary>
    public readonly void Expect(int wireType, int expected, string field)
    {
        if (wireType != expected)
        {
            throw new TokenizerFormatException(
                _source, field, $"wire type {wireType} where {expected} was expected (byte {FileOffset}); not a SentencePiece model?");
        }
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                ReadVarint();
                break;
            case WireFixed64:
                Take(8);
                break;
            case WireLengthDelimited:
                ReadLengthDelimited(out _);
                break;
            case WireFixed32:
                Take(4);
                break;
            default:
                throw Damaged($"unsupported wire type {wireType} at byte {FileOffset}");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw Damaged($"truncated: {count} bytes wanted at byte {FileOffset}, {_data.Length - _position} left");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly TokenizerFormatException Damaged(string problem) =>
        new(_source, _message, $"{problem}; the file is damaged or not a SentencePiece model");
}
