using System.Globalization;

namespace Sana.Inference.Text;

/// <summary>
/// Reads tokenizer.model (a SentencePiece ModelProto) and builds a <see cref="GemmaTokenizer"/> with SentencePiece's
/// encoding rules: any two adjacent symbols merge whose concatenation is a normal, user-defined or unused piece, best
/// score first; user-defined pieces are matched whole; unknown characters fall back to byte pieces. Control and
/// unknown pieces (&lt;bos&gt;, &lt;unk&gt;, ...) are matched whole in the text as well, which is what transformers'
/// Gemma tokenizers do on top of SentencePiece. Only Gemma-style models are accepted: BPE, identity normalisation,
/// no dummy prefix, no whitespace collapsing.
/// </summary>
internal static class SentencePieceModelLoader
{
    // ModelProto.SentencePiece.Type
    private const int Normal = 1;
    private const int Unknown = 2;
    private const int Control = 3;
    private const int UserDefined = 4;
    private const int Unused = 5;
    private const int Byte = 6;

    // TrainerSpec.ModelType
    private const int ModelTypeBpe = 2;

    public static GemmaTokenizer Load(ReadOnlySpan<byte> bytes, string source)
    {
        var proto = Parse(bytes, source);
        Validate(proto, source);
        return Build(proto, source);
    }

    private static ModelProto Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.IsEmpty)
        {
            throw new TokenizerFormatException(source, null, "the file is empty");
        }

        var proto = new ModelProto();
        var reader = new ProtobufReader(bytes, source, "ModelProto");
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wire, ProtobufReader.WireLengthDelimited, "pieces");
                    var piece = reader.ReadLengthDelimited(out var pieceOffset);
                    proto.Pieces.Add(ParsePiece(piece, source, pieceOffset, proto.Pieces.Count));
                    break;
                case 2:
                    reader.Expect(wire, ProtobufReader.WireLengthDelimited, "trainer_spec");
                    var trainer = reader.ReadLengthDelimited(out var trainerOffset);
                    ParseTrainerSpec(trainer, source, trainerOffset, proto);
                    break;
                case 3:
                    reader.Expect(wire, ProtobufReader.WireLengthDelimited, "normalizer_spec");
                    var normalizer = reader.ReadLengthDelimited(out var normalizerOffset);
                    ParseNormalizerSpec(normalizer, source, normalizerOffset, proto);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return proto;
    }

    private static Piece ParsePiece(ReadOnlySpan<byte> bytes, string source, int offset, int index)
    {
        var name = $"pieces[{index}]";
        var reader = new ProtobufReader(bytes, source, name, offset);
        string? text = null;
        float score = 0;
        var type = Normal;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wire, ProtobufReader.WireLengthDelimited, name + ".piece");
                    text = reader.ReadString(name + ".piece");
                    break;
                case 2:
                    reader.Expect(wire, ProtobufReader.WireFixed32, name + ".score");
                    score = reader.ReadFloat();
                    break;
                case 3:
                    reader.Expect(wire, ProtobufReader.WireVarint, name + ".type");
                    type = (int)reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (string.IsNullOrEmpty(text))
        {
            throw new TokenizerFormatException(source, name + ".piece", "empty piece");
        }

        return new Piece(text, score, type);
    }

    private static void ParseTrainerSpec(ReadOnlySpan<byte> bytes, string source, int offset, ModelProto proto)
    {
        proto.HasTrainerSpec = true;
        var reader = new ProtobufReader(bytes, source, "trainer_spec", offset);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 3:
                    reader.Expect(wire, ProtobufReader.WireVarint, "trainer_spec.model_type");
                    proto.ModelType = (int)reader.ReadVarint();
                    break;
                case 35:
                    reader.Expect(wire, ProtobufReader.WireVarint, "trainer_spec.byte_fallback");
                    proto.ByteFallback = reader.ReadVarint() != 0;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
    }

    private static void ParseNormalizerSpec(ReadOnlySpan<byte> bytes, string source, int offset, ModelProto proto)
    {
        proto.HasNormalizerSpec = true;
        var reader = new ProtobufReader(bytes, source, "normalizer_spec", offset);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wire, ProtobufReader.WireLengthDelimited, "normalizer_spec.name");
                    proto.NormalizerName = reader.ReadString("normalizer_spec.name");
                    break;
                case 2:
                    reader.Expect(wire, ProtobufReader.WireLengthDelimited, "normalizer_spec.precompiled_charsmap");
                    proto.CharsMapLength = reader.ReadLengthDelimited(out _).Length;
                    break;
                case 3:
                    reader.Expect(wire, ProtobufReader.WireVarint, "normalizer_spec.add_dummy_prefix");
                    proto.AddDummyPrefix = reader.ReadVarint() != 0;
                    break;
                case 4:
                    reader.Expect(wire, ProtobufReader.WireVarint, "normalizer_spec.remove_extra_whitespaces");
                    proto.RemoveExtraWhitespaces = reader.ReadVarint() != 0;
                    break;
                case 5:
                    reader.Expect(wire, ProtobufReader.WireVarint, "normalizer_spec.escape_whitespaces");
                    proto.EscapeWhitespaces = reader.ReadVarint() != 0;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
    }

    private static void Validate(ModelProto proto, string source)
    {
        if (proto.Pieces.Count == 0)
        {
            throw new TokenizerFormatException(source, "pieces", "no pieces; the file is damaged or not a SentencePiece model");
        }

        if (!proto.HasTrainerSpec)
        {
            throw new TokenizerFormatException(source, "trainer_spec", "missing; the file is truncated or not a SentencePiece model");
        }

        if (!proto.HasNormalizerSpec)
        {
            throw new TokenizerFormatException(source, "normalizer_spec", "missing; the file is truncated or not a SentencePiece model");
        }

        if (proto.ModelType != ModelTypeBpe)
        {
            var name = proto.ModelType switch { 1 => "UNIGRAM", 3 => "WORD", 4 => "CHAR", _ => proto.ModelType.ToString(CultureInfo.InvariantCulture) };
            throw new TokenizerFormatException(source, "trainer_spec.model_type", $"{name} is not supported; Gemma's tokenizer is BPE");
        }

        if (proto.NormalizerName is not ("identity" or null) || proto.CharsMapLength > 0)
        {
            throw new TokenizerFormatException(
                source,
                "normalizer_spec.name",
                $"'{proto.NormalizerName}' normalisation (precompiled_charsmap of {proto.CharsMapLength} bytes) is not supported; only 'identity', as Gemma uses");
        }

        if (proto.AddDummyPrefix)
        {
            throw new TokenizerFormatException(source, "normalizer_spec.add_dummy_prefix", "true is not supported; Gemma adds no dummy prefix");
        }

        if (proto.RemoveExtraWhitespaces)
        {
            throw new TokenizerFormatException(source, "normalizer_spec.remove_extra_whitespaces", "true is not supported; Gemma keeps whitespace as written");
        }

        if (!proto.Pieces.Exists(p => p.Type == Unknown))
        {
            throw new TokenizerFormatException(source, "pieces", "no piece of type UNKNOWN");
        }
    }

    private static GemmaTokenizer Build(ModelProto proto, string source)
    {
        var count = proto.Pieces.Count;
        var idToToken = new string?[count];
        var scores = new float[count];
        var tokenToId = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var mergeable = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var added = new List<(string, int)>();
        var userDefined = new List<(string, int)>();
        int[]? byteIds = proto.ByteFallback ? Enumerable.Repeat(-1, 256).ToArray() : null;
        var unknownId = -1;

        for (var id = 0; id < count; id++)
        {
            var piece = proto.Pieces[id];
            if (!tokenToId.TryAdd(piece.Text, id))
            {
                throw new TokenizerFormatException(source, $"pieces[{id}].piece", $"'{piece.Text}' is also pieces[{tokenToId[piece.Text]}]");
            }

            idToToken[id] = piece.Text;
            scores[id] = piece.Score;
            switch (piece.Type)
            {
                case Normal or Unused:
                    mergeable.Add(piece.Text, id);
                    break;
                case UserDefined:
                    mergeable.Add(piece.Text, id);
                    added.Add((piece.Text, id));
                    userDefined.Add((piece.Text, id));
                    break;
                case Control:
                    added.Add((piece.Text, id));
                    break;
                case Unknown:
                    unknownId = unknownId < 0 ? id : unknownId;
                    added.Add((piece.Text, id));
                    break;
                case Byte:
                    if (byteIds is null)
                    {
                        throw new TokenizerFormatException(source, "trainer_spec.byte_fallback", $"false, yet pieces[{id}] '{piece.Text}' is a BYTE piece");
                    }

                    byteIds[ParseBytePiece(piece.Text, source, id)] = id;
                    break;
                default:
                    throw new TokenizerFormatException(source, $"pieces[{id}].type", $"unknown piece type {piece.Type}");
            }
        }

        // Single code points start as symbols only if they are mergeable pieces; SentencePiece looks nothing else up.
        var encoder = new BpeEncoder(
            mergeable,
            new PieceScoreMergeRules(mergeable, scores),
            byteIds,
            byteFallbackWholeCharacter: false,
            unknownId,
            fuseUnknown: true,
            wholeWords: null);

        return new GemmaTokenizer(
            source,
            new AddedTokenMatcher(added),
            new AddedTokenMatcher(userDefined),
            proto.EscapeWhitespaces,
            splitAfter: null,
            encoder,
            idToToken,
            tokenToId);
    }

    private static int ParseBytePiece(string text, string source, int id)
    {
        if (text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>' &&
            byte.TryParse(text.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        throw new TokenizerFormatException(source, $"pieces[{id}].piece", $"BYTE piece '{text}' is not of the form <0xNN>");
    }

    private sealed record Piece(string Text, float Score, int Type);

    private sealed class ModelProto
    {
        public List<Piece> Pieces { get; } = [];
        public bool HasTrainerSpec { get; set; }
        public bool HasNormalizerSpec { get; set; }
        public int ModelType { get; set; } = 1; // proto default: UNIGRAM
        public bool ByteFallback { get; set; }
        public string? NormalizerName { get; set; }
        public int CharsMapLength { get; set; }
        public bool AddDummyPrefix { get; set; } = true; // proto defaults
        public bool RemoveExtraWhitespaces { get; set; } = true;
        public bool EscapeWhitespaces { get; set; } = true;
    }
}
