namespace Sana.Inference.Text;

/// <summary>
/// Turns prompts into text-encoder inputs exactly as diffusers' SanaPipeline does (clean_caption off), so that the same
/// prompt gives the same embeddings, hence the same image:
/// <list type="bullet">
/// <item>the prompt is <c>prompt.lower().strip()</c> in Python's sense;</item>
/// <item>a positive prompt gets the complex human instruction (CHI, lines joined by "\n") written before it and is
/// tokenized to <see cref="PromptLength"/> = <see cref="ChiTokenCount"/> + max_sequence_length - 2 tokens;</item>
/// <item>a negative prompt gets no CHI and is tokenized to max_sequence_length tokens;</item>
/// <item>BOS first, truncation at the length, right padding with the pad id, mask 1 on BOS and prompt ids.</item>
/// </list>
/// What the caller must do after the text encoder (diffusers' <c>select_index</c>): from a positive prompt's
/// <see cref="PromptLength"/> rows of encoder output keep row 0 and the last max_sequence_length - 1 rows, in order
/// (<see cref="EncoderRowsToKeep"/>), and the same columns of the attention mask; that leaves max_sequence_length rows,
/// the transformer's encoder_hidden_states. A negative prompt's output is already max_sequence_length rows and is used
/// whole; it never changes, so it is worth caching. With no CHI, both lengths are max_sequence_length and row
/// selection keeps every row.
/// </summary>
public sealed class SanaPromptTokenizer
{
    private readonly GemmaTokenizer _tokenizer;
    private readonly string? _instruction;
    private readonly int _bosId;
    private readonly int _padId;
    private readonly int[] _rowsToKeep;

    /// <param name="tokenizer">The model's Gemma tokenizer.</param>
    /// <param name="complexHumanInstruction">The manifest's CHI lines; empty for none (diffusers' falsy list).</param>
    /// <param name="maxSequenceLength">The manifest's max_sequence_length (300 for Sana).</param>
    /// <param name="bosId">The manifest's bos_id.</param>
    /// <param name="padId">The manifest's pad_id.</param>
    public SanaPromptTokenizer(
        GemmaTokenizer tokenizer,
        IReadOnlyList<string> complexHumanInstruction,
        int maxSequenceLength,
        int bosId,
        int padId)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(complexHumanInstruction);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(bosId);
        ArgumentOutOfRangeException.ThrowIfNegative(padId);

        _tokenizer = tokenizer;
        _bosId = bosId;
        _padId = padId;
        MaxSequenceLength = maxSequenceLength;
        if (complexHumanInstruction.Count > 0)
        {
            _instruction = ComplexHumanInstruction.Join(complexHumanInstruction);
            // diffusers: len(tokenizer.encode(chi_prompt)), BOS included.
            ChiTokenCount = 1 + tokenizer.Encode(_instruction).Length;
            PromptLength = ChiTokenCount + maxSequenceLength - 2;
        }
        else
        {
            PromptLength = maxSequenceLength;
        }

        _rowsToKeep = new int[maxSequenceLength];
        for (var i = 1; i < maxSequenceLength; i++)
        {
            _rowsToKeep[i] = PromptLength - maxSequenceLength + i;
        }
    }

    /// <summary>Rows the transformer sees per prompt (the manifest's max_sequence_length).</summary>
    public int MaxSequenceLength { get; }

    /// <summary>
    /// Tokens of the CHI text alone, BOS included (diffusers' num_chi_prompt_tokens); 0 when there is no CHI.
    /// </summary>
    public int ChiTokenCount { get; }

    /// <summary>Length of a positive prompt's ids (diffusers' max_length_all).</summary>
    public int PromptLength { get; }

    /// <summary>
    /// Indices into a positive prompt's <see cref="PromptLength"/> encoder rows to keep, in order: 0, then the last
    /// <see cref="MaxSequenceLength"/> - 1 (diffusers' <c>[0] + list(range(-max_sequence_length + 1, 0))</c>).
    /// </summary>
    public IReadOnlyList<int> EncoderRowsToKeep => _rowsToKeep;

    /// <summary>A positive prompt: CHI + <c>prompt.lower().strip()</c>, <see cref="PromptLength"/> tokens.</summary>
    public TokenizedPrompt TokenizePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Tokenize(_instruction + Preprocess(prompt), PromptLength);
    }

    /// <summary>A negative prompt: <c>prompt.lower().strip()</c> without CHI, <see cref="MaxSequenceLength"/> tokens.</summary>
    public TokenizedPrompt TokenizeNegative(string negativePrompt)
    {
        ArgumentNullException.ThrowIfNull(negativePrompt);
        return Tokenize(Preprocess(negativePrompt), MaxSequenceLength);
    }

    /// <summary>SanaPipeline's <c>_text_preprocessing</c> with clean_caption off.</summary>
    public static string Preprocess(string prompt) => PythonText.Strip(PythonText.Lower(prompt));

    private TokenizedPrompt Tokenize(string text, int length)
    {
        var ids = new List<int>(length + 8) { _bosId };
        _tokenizer.Encode(text, ids);
        var count = Math.Min(ids.Count, length);
        var inputIds = new long[length];
        var mask = new long[length];
        for (var i = 0; i < length; i++)
        {
            var real = i < count;
            inputIds[i] = real ? ids[i] : _padId;
            mask[i] = real ? 1 : 0;
        }

        return new TokenizedPrompt(inputIds, mask, count, ids.Count > length);
    }
}
