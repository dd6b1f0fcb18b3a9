using System.Text.Json;
using Sana.Inference.Tests.Fixtures;
using Sana.Inference.Text;

namespace Sana.Inference.Tests.Text;

/// <summary>
/// Parity with transformers on the tiny Sana's tokenizer (a Gemma-style SentencePiece BPE trained by tools/export):
/// reference/tokens.json holds the ids transformers gave for plain texts and exactly what SanaPipeline fed its text
/// encoder. Both tokenizer files must reproduce every one; a missing fixture fails the test.
/// </summary>
public sealed class TokenizerFixtureTests
{
    private static readonly Lazy<JsonDocument> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(FixturePaths.RequireReference("tokens.json"))));

    private static readonly Lazy<GemmaTokenizer> FromModelFile = new(() =>
        GemmaTokenizer.LoadSentencePieceModel(RequireTokenizerFile("tokenizer.model")));

    private static readonly Lazy<GemmaTokenizer> FromJsonFile = new(() =>
        GemmaTokenizer.LoadTokenizerJson(RequireTokenizerFile("tokenizer.json")));

    public static TheoryData<string> Files => ["tokenizer.model", "tokenizer.json"];

    private static JsonElement Root => Reference.Value.RootElement;

    private static int SpecialId(string name) => Root.GetProperty("special_ids").GetProperty(name).GetInt32();

    private static GemmaTokenizer Load(string file) => file == "tokenizer.model" ? FromModelFile.Value : FromJsonFile.Value;

    [Theory, MemberData(nameof(Files))]
    public void Plain_texts_give_transformers_ids(string file)
    {
        var tokenizer = Load(file);
        var bos = SpecialId("bos");
        var mismatches = new List<string>();
        var count = 0;
        foreach (var entry in Root.GetProperty("plain").EnumerateArray())
        {
            var text = entry.GetProperty("text").GetString()!;
            var expected = entry.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            int[] actual = [bos, .. tokenizer.Encode(text)];
            if (!expected.SequenceEqual(actual))
            {
                mismatches.Add($"{Show(text)}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
            }

            count++;
        }

        Assert.True(count >= 10, $"tokens.json has only {count} plain texts");
        Assert.True(mismatches.Count == 0, $"{file}: {mismatches.Count} of {count} texts differ:\n{string.Join('\n', mismatches)}");
    }

    [Theory, MemberData(nameof(Files))]
    public void Pipeline_inputs_are_what_sana_pipeline_fed_its_text_encoder(string file)
    {
        var prompts = CreatePromptTokenizer(Load(file));
        var mismatches = new List<string>();
        var kinds = new HashSet<string>();
        foreach (var entry in Root.GetProperty("pipeline").EnumerateArray())
        {
            var kind = entry.GetProperty("kind").GetString()!;
            var prompt = entry.GetProperty("prompt").GetString()!;
            var tokens = kind == "negative" ? prompts.TokenizeNegative(prompt) : prompts.TokenizePrompt(prompt);
            var ids = entry.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var mask = entry.GetProperty("attention_mask").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (!ids.SequenceEqual(tokens.InputIds) || !mask.SequenceEqual(tokens.AttentionMask))
            {
                mismatches.Add($"[{kind}] {Show(prompt)}: expected {ids.Length} ids [{string.Join(", ", ids.Take(400))}], got {tokens.Length} [{string.Join(", ", tokens.InputIds.Take(400))}]");
            }

            if (entry.TryGetProperty("truncated", out var truncated))
            {
                Assert.Equal(truncated.GetBoolean(), tokens.Truncated);
            }

            kinds.Add(kind);
        }

        Assert.Equal(["negative", "prompt"], kinds.Order());
        Assert.True(mismatches.Count == 0, $"{file}: {mismatches.Count} prompts differ:\n{string.Join('\n', mismatches)}");
    }

    [Theory, MemberData(nameof(Files))]
    public void Instruction_length_and_kept_rows_match_diffusers(string file)
    {
        var prompts = CreatePromptTokenizer(Load(file));
        Assert.Equal(Root.GetProperty("chi_token_count").GetInt32(), prompts.ChiTokenCount);
        Assert.Equal(Root.GetProperty("max_length_all").GetInt32(), prompts.PromptLength);
        var selectIndex = Root.GetProperty("select_index").EnumerateArray()
            .Select(e => e.GetInt32() < 0 ? prompts.PromptLength + e.GetInt32() : e.GetInt32());
        Assert.Equal(selectIndex, prompts.EncoderRowsToKeep);
    }

    [Fact]
    public void The_reference_instruction_is_the_diffusers_default()
    {
        var lines = Root.GetProperty("complex_human_instruction").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(ComplexHumanInstruction.DiffusersDefault, lines);
    }

    [Fact]
    public void Model_and_json_files_agree_on_every_fixture_text()
    {
        var texts = Root.GetProperty("plain").EnumerateArray().Select(e => e.GetProperty("text").GetString()!)
            .Concat(Root.GetProperty("pipeline").EnumerateArray().Select(e => e.GetProperty("tokenized_text").GetString()!));
        foreach (var text in texts)
        {
            Assert.Equal(FromModelFile.Value.Encode(text), FromJsonFile.Value.Encode(text));
        }

        Assert.Equal(Root.GetProperty("vocab_size").GetInt32(), FromModelFile.Value.VocabularySize);
        Assert.Equal(Root.GetProperty("vocab_size").GetInt32(), FromJsonFile.Value.VocabularySize);
    }

    private static SanaPromptTokenizer CreatePromptTokenizer(GemmaTokenizer tokenizer)
    {
        var chi = Root.GetProperty("complex_human_instruction").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var maxSequenceLength = Root.GetProperty("select_index").GetArrayLength();
        return new SanaPromptTokenizer(tokenizer, chi, maxSequenceLength, SpecialId("bos"), SpecialId("pad"));
    }

    private static string RequireTokenizerFile(string name)
    {
        var path = Path.Combine(FixturePaths.TinySana, "model", "tokenizer", name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"tokenizer fixture missing: {path} (written by tools/export)", path);
    }

    private static string Show(string text) => JsonSerializer.Serialize(text.Length > 60 ? text[..60] + "..." : text);
}
