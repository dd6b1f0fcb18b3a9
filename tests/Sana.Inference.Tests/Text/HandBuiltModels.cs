using Sana.Inference.Text;

namespace Sana.Inference.Tests.Text;

/// <summary>
/// One small Gemma-style model used across the tokenizer tests, with scores chosen so that merge order matters:
/// "cd" outranks "bc" (so "bcd" is b|cd, not bc|d), "aa" overlaps itself (ties go leftmost), "hello" needs four
/// merges in a fixed order, "▁▁" is a user-defined piece.
/// </summary>
internal static class HandBuiltModels
{
    public const int Pad = 0, Eos = 1, Bos = 2, Unk = 3;

    public static readonly SentencePieceModelBuilder Gemma = BuildGemma();

    private static readonly Lazy<GemmaTokenizer> FromModel = new(() =>
        GemmaTokenizer.LoadSentencePieceModel(Gemma.BuildModelProto(), "hand-built.model"));

    private static readonly Lazy<GemmaTokenizer> FromJson = new(() =>
        GemmaTokenizer.LoadTokenizerJson(Gemma.BuildTokenizerJson(), "hand-built.json"));

    public static GemmaTokenizer ModelFile => FromModel.Value;

    public static GemmaTokenizer JsonFile => FromJson.Value;

    public static IEnumerable<GemmaTokenizer> Both => [ModelFile, JsonFile];

    /// <summary>Id of the byte piece &lt;0xNN&gt; (they follow the four specials).</summary>
    public static int Byte(int value) => 4 + value;

    public static int Id(string piece)
    {
        var id = Gemma.IdOf(piece);
        return id >= 0 ? id : throw new ArgumentException($"no piece '{piece}'", nameof(piece));
    }

    private static SentencePieceModelBuilder BuildGemma()
    {
        var b = SentencePieceModelBuilder.GemmaStyle();
        b.Add("<start_of_turn>", 0, PieceType.UserDefined);
        b.Add("<end_of_turn>", 0, PieceType.UserDefined);
        b.Add("\u2581\u2581", 0, PieceType.UserDefined);
        b.Add("cd", -0.5f);
        b.Add("ab", -1);
        b.Add("aa", -1.5f);
        b.Add("bc", -2);
        b.Add("abc", -3);
        b.Add("he", -4);
        b.Add("ll", -5);
        b.Add("hell", -6);
        b.Add("hello", -7);
        b.Add("\u2581w", -8);
        b.Add("世界", -9);
        var score = -10f;
        foreach (var c in (string[])["\u2581", "a", "b", "c", "d", "e", "h", "l", "o", "w", "r", "世", "界"])
        {
            b.Add(c, score--);
        }

        return b;
    }
}
