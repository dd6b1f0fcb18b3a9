using System.Text;
using System.Text.Json.Nodes;
using Sana.Inference.Text;

namespace Sana.Inference.Tests.Text;

public sealed class TokenizerLoadingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sana-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Loads_both_files_from_disk()
    {
        var modelPath = Path.Combine(_folder, "tokenizer.model");
        var jsonPath = Path.Combine(_folder, "tokenizer.json");
        File.WriteAllBytes(modelPath, HandBuiltModels.Gemma.BuildModelProto());
        File.WriteAllBytes(jsonPath, HandBuiltModels.Gemma.BuildTokenizerJson());

        var fromModel = GemmaTokenizer.LoadSentencePieceModel(modelPath);
        var fromJson = GemmaTokenizer.LoadTokenizerJson(jsonPath);

        Assert.Equal(modelPath, fromModel.Source);
        Assert.Equal(jsonPath, GemmaTokenizer.Load(modelPath, jsonPath).Source);
        Assert.Equal(modelPath, GemmaTokenizer.Load(modelPath, null).Source);
        Assert.Equal(fromModel.Encode("hello world"), fromJson.Encode("hello world"));
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var path = Path.Combine(_folder, "nothing.model");
        var error = Assert.Throws<TokenizerFormatException>(() => GemmaTokenizer.LoadSentencePieceModel(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Throws<TokenizerFormatException>(() => GemmaTokenizer.LoadTokenizerJson(Path.Combine(_folder, "nothing.json")));
        Assert.Throws<TokenizerFormatException>(() => GemmaTokenizer.Load(null, null));
    }

    [Fact]
    public void A_truncated_model_file_is_refused_wherever_it_is_cut()
    {
        var bytes = HandBuiltModels.Gemma.BuildModelProto();
        foreach (var length in new[] { 0, 1, 3, 10, bytes.Length / 2, bytes.Length - 20, bytes.Length - 1 })
        {
            var error = Assert.Throws<TokenizerFormatException>(
                () => GemmaTokenizer.LoadSentencePieceModel(bytes.AsSpan(0, length), "cut.model"));
            Assert.StartsWith("cut.model: ", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Bytes_that_are_not_a_model_are_refused() =>
        Assert.Throws<TokenizerFormatException>(
            () => GemmaTokenizer.LoadSentencePieceModel("{\"model\": \"json\"}"u8, "wrong.model"));

    [Theory]
    [InlineData(1, "trainer_spec.model_type", "UNIGRAM")]
    [InlineData(4, "trainer_spec.model_type", "CHAR")]
    public void Other_model_types_are_refused(int modelType, string field, string named)
    {
        var builder = Clone(b => b.ModelType = modelType);
        var error = Assert.Throws<TokenizerFormatException>(
            () => GemmaTokenizer.LoadSentencePieceModel(builder.BuildModelProto(), "unigram.model"));
        Assert.Equal(field, error.Field);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("unigram.model: trainer_spec.model_type: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalisations_other_than_gemmas_are_refused()
    {
        AssertRefused(b => b.NormalizerName = "nmt_nfkc", "normalizer_spec.name");
        AssertRefused(b => b.AddDummyPrefix = true, "normalizer_spec.add_dummy_prefix");
        AssertRefused(b => b.RemoveExtraWhitespaces = true, "normalizer_spec.remove_extra_whitespaces");
        AssertRefused(b => b.WriteTrainerSpec = false, "trainer_spec");
        AssertRefused(b => b.WriteNormalizerSpec = false, "normalizer_spec");
    }

    [Fact]
    public void Json_with_unsupported_settings_is_refused_naming_the_field()
    {
        AssertJsonRefused(j => j["model"]!["type"] = "Unigram", "model.type");
        AssertJsonRefused(j => j["model"]!["dropout"] = 0.1, "model.dropout");
        AssertJsonRefused(j => j["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace" }, "pre_tokenizer");
        AssertJsonRefused(j => j["pre_tokenizer"]!["behavior"] = "Isolated", "pre_tokenizer");
        AssertJsonRefused(j => j["normalizer"] = new JsonObject { ["type"] = "NFKC" }, "normalizer");
        AssertJsonRefused(
            j => j["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" }),
            },
            "normalizer");
        AssertJsonRefused(j => j["added_tokens"]![0]!["lstrip"] = true, "added_tokens[0].lstrip");
        AssertJsonRefused(j => j["model"]!["merges"]!.AsArray().Add(new JsonArray("x", "y")), $"model.merges[{MergeCount()}]");
        AssertJsonRefused(j => j["model"]!["unk_token"] = "<nope>", "model.unk_token");
    }

    [Fact]
    public void Invalid_json_is_refused_naming_the_file()
    {
        var error = Assert.Throws<TokenizerFormatException>(() => GemmaTokenizer.LoadTokenizerJson("{\"model\": "u8, "broken.json"));
        Assert.StartsWith("broken.json: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_merges_may_be_legacy_strings()
    {
        var json = HandBuiltModels.Gemma.BuildTokenizerJson(j =>
        {
            var merges = j["model"]!["merges"]!.AsArray();
            var legacy = new JsonArray([.. merges.Select(m => (JsonNode)JsonValue.Create($"{m![0]} {m[1]}"))]);
            j["model"]!["merges"] = legacy;
        });
        var tokenizer = GemmaTokenizer.LoadTokenizerJson(json, "legacy.json");
        Assert.Equal(HandBuiltModels.ModelFile.Encode("hello abcd world"), tokenizer.Encode("hello abcd world"));
    }

    [Fact]
    public void Json_normalized_added_tokens_match_after_spaces_become_meta_space()
    {
        var json = HandBuiltModels.Gemma.BuildTokenizerJson(j => j["added_tokens"]!.AsArray().Add(new JsonObject
        {
            ["id"] = 1000, ["content"] = " wo", ["normalized"] = true, ["special"] = false,
        }));
        var tokenizer = GemmaTokenizer.LoadTokenizerJson(json, "normalized.json");
        Assert.Equal([HandBuiltModels.Id("hello"), 1000, HandBuiltModels.Id("r")], tokenizer.Encode("hello wor"));
        Assert.Equal(1001, tokenizer.VocabularySize);
    }

    [Fact]
    public void Json_split_pre_tokenizer_cuts_after_each_delimiter()
    {
        var json = HandBuiltModels.Gemma.BuildTokenizerJson(j => j["pre_tokenizer"]!["pattern"]!["String"] = "c");
        var tokenizer = GemmaTokenizer.LoadTokenizerJson(json, "split.json");
        // Unsplit, cd outranks bc: b|cd. Cut after "c", the words are "bc" and "d".
        Assert.Equal([HandBuiltModels.Id("bc"), HandBuiltModels.Id("d")], tokenizer.Encode("bcd"));
        Assert.Equal([HandBuiltModels.Id("b"), HandBuiltModels.Id("cd")], HandBuiltModels.JsonFile.Encode("bcd"));
    }

    private static int MergeCount() =>
        JsonNode.Parse(Encoding.UTF8.GetString(HandBuiltModels.Gemma.BuildTokenizerJson()))!["model"]!["merges"]!.AsArray().Count;

    private static void AssertRefused(Action<SentencePieceModelBuilder> edit, string field)
    {
        var error = Assert.Throws<TokenizerFormatException>(
            () => GemmaTokenizer.LoadSentencePieceModel(Clone(edit).BuildModelProto(), "edited.model"));
        Assert.Equal(field, error.Field);
        Assert.Equal("edited.model", error.FilePath);
    }

    private static void AssertJsonRefused(Action<JsonObject> edit, string field)
    {
        var error = Assert.Throws<TokenizerFormatException>(
            () => GemmaTokenizer.LoadTokenizerJson(HandBuiltModels.Gemma.BuildTokenizerJson(edit), "edited.json"));
        Assert.Equal(field, error.Field);
        Assert.StartsWith($"edited.json: {field}: ", error.Message, StringComparison.Ordinal);
    }

    private static SentencePieceModelBuilder Clone(Action<SentencePieceModelBuilder> edit)
    {
        var copy = new SentencePieceModelBuilder();
        foreach (var (piece, score, type) in HandBuiltModels.Gemma.Pieces)
        {
            copy.Add(piece, score, type);
        }

        copy.ByteFallback = HandBuiltModels.Gemma.ByteFallback;
        edit(copy);
        return copy;
    }
}
