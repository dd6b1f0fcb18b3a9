using Sana.Inference.Text;
using static Sana.Inference.Tests.Text.HandBuiltModels;

namespace Sana.Inference.Tests.Text;

public sealed class SanaPromptTokenizerTests
{
    // "ab\nc": ab, <0x0A>, c plus BOS = 4 tokens.
    private static readonly string[] Instruction = ["ab", "c"];

    private static SanaPromptTokenizer Create(IReadOnlyList<string> instruction, int maxSequenceLength = 5) =>
        new(ModelFile, instruction, maxSequenceLength, Bos, Pad);

    [Fact]
    public void Counts_the_instruction_tokens_with_bos_and_sizes_the_prompt_from_them()
    {
        var tokenizer = Create(Instruction);
        Assert.Equal(4, tokenizer.ChiTokenCount);
        Assert.Equal(4 + 5 - 2, tokenizer.PromptLength);
        Assert.Equal(5, tokenizer.MaxSequenceLength);
    }

    [Fact]
    public void A_prompt_is_lowered_stripped_and_tokenized_together_with_the_instruction()
    {
        var tokens = Create(Instruction).TokenizePrompt("  ABC ");
        // "ab\nc" + "abc" = "ab\ncabc": the instruction's last "c" and the prompt are one BPE stretch, c|abc.
        Assert.Equal([Bos, Id("ab"), Byte('\n'), Id("c"), Id("abc"), Pad, Pad], tokens.InputIds);
        Assert.Equal([1L, 1, 1, 1, 1, 0, 0], tokens.AttentionMask);
        Assert.Equal(5, tokens.TokenCount);
        Assert.False(tokens.Truncated);
    }

    [Fact]
    public void A_long_prompt_is_cut_at_the_prompt_length()
    {
        var tokens = Create(Instruction).TokenizePrompt("d d d d d d");
        Assert.Equal(7, tokens.Length);
        // "ab\ncd d d ...": c and d merge across the join.
        Assert.Equal([Bos, Id("ab"), Byte('\n'), Id("cd"), Id("\u2581"), Id("d"), Id("\u2581")], tokens.InputIds);
        Assert.All(tokens.AttentionMask, m => Assert.Equal(1L, m));
        Assert.True(tokens.Truncated);
    }

    [Fact]
    public void The_negative_prompt_has_no_instruction_and_max_sequence_length_tokens()
    {
        var tokenizer = Create(Instruction);
        var empty = tokenizer.TokenizeNegative("");
        Assert.Equal([Bos, Pad, Pad, Pad, Pad], empty.InputIds);
        Assert.Equal([1L, 0, 0, 0, 0], empty.AttentionMask);

        var negative = tokenizer.TokenizeNegative(" Hello\n");
        Assert.Equal([Bos, Id("hello"), Pad, Pad, Pad], negative.InputIds);
    }

    [Fact]
    public void Rows_kept_after_the_encoder_are_the_first_and_the_last_max_sequence_length_minus_one()
    {
        Assert.Equal([0, 3, 4, 5, 6], Create(Instruction).EncoderRowsToKeep);
        Assert.Equal([0, 1, 2, 3, 4], Create([]).EncoderRowsToKeep);
    }

    [Fact]
    public void Without_an_instruction_both_prompts_have_max_sequence_length_tokens()
    {
        var tokenizer = Create([]);
        Assert.Equal(0, tokenizer.ChiTokenCount);
        Assert.Equal(5, tokenizer.PromptLength);
        Assert.Equal([Bos, Id("abc"), Pad, Pad, Pad], tokenizer.TokenizePrompt("ABC").InputIds);
    }

    [Fact]
    public void An_instruction_of_one_empty_line_still_counts_bos_as_diffusers_does()
    {
        // diffusers tests `not complex_human_instruction`: [""] is truthy, encode("") is [bos].
        var tokenizer = Create([""]);
        Assert.Equal(1, tokenizer.ChiTokenCount);
        Assert.Equal(4, tokenizer.PromptLength);
    }

    [Fact]
    public void The_diffusers_default_instruction_is_eight_lines_ending_in_the_prompt_label()
    {
        var lines = ComplexHumanInstruction.DiffusersDefault;
        Assert.Equal(8, lines.Count);
        Assert.StartsWith("Given a user prompt, generate an 'Enhanced prompt'", lines[0], StringComparison.Ordinal);
        Assert.Equal("User Prompt: ", lines[^1]);
        Assert.Equal(string.Join('\n', lines), ComplexHumanInstruction.Join(lines));
    }

    [Fact]
    public void Settings_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(Instruction, maxSequenceLength: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SanaPromptTokenizer(ModelFile, [], 300, -1, 0));
    }
}
