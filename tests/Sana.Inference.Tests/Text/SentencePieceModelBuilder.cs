using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sana.Inference.Tests.Text;

/// <summary>Piece types of SentencePiece's ModelProto.</summary>
internal enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>
/// Builds small Gemma-style tokenizers in memory, as both files a model folder may hold: a SentencePiece ModelProto
/// written byte by byte, and the tokenizer.json transformers' converter would make from it (vocab in id order, merges
/// from every piece whose two halves are pieces, ordered by the merged piece's score, added tokens for control,
/// unknown and user-defined pieces). Tests pin behaviour on these with ids worked out by hand.
/// </summary>
internal sealed class SentencePieceModelBuilder
{
    private readonly List<(string Piece, float Score, PieceType Type)> _pieces = [];

    public int ModelType { get; set; } = 2; // BPE
    public bool ByteFallback { get; set; } = true;
    public string? NormalizerName { get; set; } = "identity";
    public bool AddDummyPrefix { get; set; }
    public bool RemoveExtraWhitespaces { get; set; }
    public bool EscapeWhitespaces { get; set; } = true;
    public bool WriteTrainerSpec { get; set; } = true;
    public bool WriteNormalizerSpec { get; set; } = true;

    public IReadOnlyList<(string Piece, float Score, PieceType Type)> Pieces => _pieces;

    public int Add(string piece, float score = 0, PieceType type = PieceType.Normal)
    {
        _pieces.Add((piece, score, type));
        return _pieces.Count - 1;
    }

    public int IdOf(string piece) => _pieces.FindIndex(p => p.Piece == piece);

    /// <summary>Gemma's first ids: pad 0, eos 1, bos 2, unk 3; then, with byte fallback, the 256 byte pieces.</summary>
    public static SentencePieceModelBuilder GemmaStyle(bool byteFallback = true)
    {
        var builder = new SentencePieceModelBuilder { ByteFallback = byteFallback };
        builder.Add("<pad>", 0, PieceType.Control);
        builder.Add("<eos>", 0, PieceType.Control);
        builder.Add("<bos>", 0, PieceType.Control);
        builder.Add("<unk>", 0, PieceType.Unknown);
        if (byteFallback)
        {
            for (var b = 0; b < 256; b++)
            {
                builder.Add($"<0x{b:X2}>", 0, PieceType.Byte);
            }
        }

        return builder;
    }

    public byte[] BuildModelProto()
    {
        var model = new ProtoWriter();
        foreach (var (piece, score, type) in _pieces)
        {
            var p = new ProtoWriter();
            p.String(1, piece);
            p.Float(2, score);
            if (type != PieceType.Normal)
            {
                p.Varint(3, (ulong)type);
            }

            model.Message(1, p);
        }

        if (WriteTrainerSpec)
        {
            var trainer = new ProtoWriter();
            trainer.String(2, "tiny"); // model_prefix, a field the reader skips
            trainer.Varint(3, (ulong)ModelType);
            trainer.Varint(4, (ulong)_pieces.Count);
            trainer.Float(10, 1.0f); // character_coverage, skipped
            trainer.Varint(35, ByteFallback ? 1UL : 0UL);
            trainer.String(45, "<unk>");
            model.Message(2, trainer);
        }

        if (WriteNormalizerSpec)
        {
            var normalizer = new ProtoWriter();
            if (NormalizerName is not null)
            {
                normalizer.String(1, NormalizerName);
            }

            normalizer.Varint(3, AddDummyPrefix ? 1UL : 0UL);
            normalizer.Varint(4, RemoveExtraWhitespaces ? 1UL : 0UL);
            normalizer.Varint(5, EscapeWhitespaces ? 1UL : 0UL);
            model.Message(3, normalizer);
        }

        return model.ToArray();
    }

    /// <summary>The tokenizer.json transformers 5 would write for this model.</summary>
    public byte[] BuildTokenizerJson(Action<JsonObject>? edit = null)
    {
        var vocab = new JsonObject();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < _pieces.Count; id++)
        {
            vocab[_pieces[id].Piece] = id;
            ids[_pieces[id].Piece] = id;
        }

        var merges = new List<(string Left, string Right, float Score, int LeftId, int RightId, int Order)>();
        for (var id = 0; id < _pieces.Count; id++)
        {
            var piece = _pieces[id].Piece;
            for (var cut = 1; cut < piece.Length; cut++)
            {
                if (ids.TryGetValue(piece[..cut], out var l) && ids.TryGetValue(piece[cut..], out var r))
                {
                    merges.Add((piece[..cut], piece[cut..], _pieces[id].Score, l, r, merges.Count));
                }
            }
        }

        var ordered = merges
            .OrderByDescending(m => m.Score)
            .ThenBy(m => m.LeftId)
            .ThenBy(m => m.RightId)
            .Select(m => (JsonNode)new JsonArray(m.Left, m.Right));

        var added = new JsonArray();
        for (var id = 0; id < _pieces.Count; id++)
        {
            var (piece, _, type) = _pieces[id];
            if (type is PieceType.Control or PieceType.Unknown or PieceType.UserDefined)
            {
                added.Add(new JsonObject
                {
                    ["id"] = id,
                    ["content"] = piece,
                    ["single_word"] = false,
                    ["lstrip"] = false,
                    ["rstrip"] = false,
                    ["normalized"] = false,
                    ["special"] = type != PieceType.UserDefined,
                });
            }
        }

        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Replace",
                ["pattern"] = new JsonObject { ["String"] = " " },
                ["content"] = "\u2581",
            },
            // transformers 5 writes this after the normaliser, where no space is left for it to split on.
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Split",
                ["pattern"] = new JsonObject { ["String"] = " " },
                ["behavior"] = "MergedWithPrevious",
                ["invert"] = false,
            },
            ["post_processor"] = null,
            ["decoder"] = null,
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = "<unk>",
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = true,
                ["byte_fallback"] = ByteFallback,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. ordered]),
            },
        };
        edit?.Invoke(root);
        return Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    /// <summary>Protobuf wire format, written by hand so the reader is tested against bytes it did not produce.</summary>
    private sealed class ProtoWriter
    {
        private readonly List<byte> _bytes = [];

        public void Varint(int field, ulong value)
        {
            Tag(field, 0);
            WriteVarint(value);
        }

        public void Float(int field, float value)
        {
            Tag(field, 5);
            _bytes.AddRange(BitConverter.GetBytes(value));
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public byte[] ToArray() => [.. _bytes];

        private void Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            WriteVarint((ulong)value.Length);
            _bytes.AddRange(value);
        }

        private void Tag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
        }
    }
}
