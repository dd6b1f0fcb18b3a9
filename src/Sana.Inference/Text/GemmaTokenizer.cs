namespace Sana.Inference.Text;

/// <summary>
/// Gemma's tokenizer (SentencePiece BPE with byte fallback), giving the ids transformers' GemmaTokenizer and
/// GemmaTokenizerFast give for the same files: the text encoder was trained on those ids, and any drift changes the
/// image. Text is not normalised beyond spaces becoming '▁' (no dummy prefix, no whitespace collapsing); added tokens
/// (&lt;bos&gt;, &lt;eos&gt;, &lt;pad&gt;, &lt;unk&gt;, user-defined pieces such as &lt;start_of_turn&gt;) written in
/// the text are matched whole; characters outside the vocabulary become their UTF-8 byte pieces (&lt;0xNN&gt;).
/// Loads from either file a model folder may ship: tokenizer.model (SentencePiece ModelProto) or tokenizer.json
/// (Hugging Face). Settings that would need more than this (another model type or normaliser, pre-tokenizers) are
/// refused at load with <see cref="TokenizerFormatException"/>. Immutable and safe to share between threads.
/// </summary>
public sealed class GemmaTokenizer
{
    private readonly AddedTokenMatcher _rawTokens;
    private readonly AddedTokenMatcher _normalizedTokens;
    private readonly bool _escapeWhitespace;
    private readonly string? _splitAfter;
    private readonly BpeEncoder _encoder;
    private readonly string?[] _idToToken;
    private readonly Dictionary<string, int> _tokenToId;

    internal GemmaTokenizer(
        string source,
        AddedTokenMatcher rawTokens,
        AddedTokenMatcher normalizedTokens,
        bool escapeWhitespace,
        string? splitAfter,
        BpeEncoder encoder,
        string?[] idToToken,
        Dictionary<string, int> tokenToId)
    {
        _splitAfter = string.IsNullOrEmpty(splitAfter) ? null : splitAfter;
        Source = source;
        _rawTokens = rawTokens;
        _normalizedTokens = normalizedTokens;
        _escapeWhitespace = escapeWhitespace;
        _encoder = encoder;
        _idToToken = idToToken;
        _tokenToId = tokenToId;
    }

    /// <summary>The file this tokenizer was loaded from, for messages and logs.</summary>
    public string Source { get; }

    /// <summary>One more than the largest id the tokenizer can produce.</summary>
    public int VocabularySize => _idToToken.Length;

    /// <summary>Loads tokenizer.model, a SentencePiece ModelProto of type BPE.</summary>
    /// <exception cref="TokenizerFormatException">the file is missing, damaged or has unsupported settings.</exception>
    public static GemmaTokenizer LoadSentencePieceModel(string path) =>
        SentencePieceModelLoader.Load(ReadFile(path), path);

    /// <summary>Loads a SentencePiece ModelProto held in memory; <paramref name="sourceName"/> names it in errors.</summary>
    public static GemmaTokenizer LoadSentencePieceModel(ReadOnlySpan<byte> modelProto, string sourceName) =>
        SentencePieceModelLoader.Load(modelProto, sourceName);

    /// <summary>Loads tokenizer.json, a Hugging Face fast-tokenizer file with a BPE model.</summary>
    /// <exception cref="TokenizerFormatException">the file is missing, damaged or has unsupported settings.</exception>
    public static GemmaTokenizer LoadTokenizerJson(string path) =>
        TokenizerJsonLoader.Load(ReadFile(path), path);

    /// <summary>Loads a tokenizer.json held in memory (UTF-8); <paramref name="sourceName"/> names it in errors.</summary>
    public static GemmaTokenizer LoadTokenizerJson(ReadOnlySpan<byte> utf8Json, string sourceName) =>
        TokenizerJsonLoader.Load(utf8Json, sourceName);

    /// <summary>
    /// Loads from whichever file a model folder names: tokenizer.json when given (what transformers itself prefers),
    /// otherwise tokenizer.model. Both give the same ids for a consistent pair.
    /// </summary>
    public static GemmaTokenizer Load(string? modelFile, string? jsonFile)
    {
        if (jsonFile is not null)
        {
            return LoadTokenizerJson(jsonFile);
        }

        if (modelFile is not null)
        {
            return LoadSentencePieceModel(modelFile);
        }

        throw new TokenizerFormatException("tokenizer: neither a tokenizer.model nor a tokenizer.json file was given");
    }

    /// <summary>The ids of <paramref name="text"/> without BOS/EOS (transformers' add_special_tokens=False).</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 2 + 4);
        Encode(text, ids);
        return [.. ids];
    }

    /// <summary>Appends the ids of <paramref name="text"/>, without BOS/EOS, to <paramref name="ids"/>.</summary>
    public void Encode(string text, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ids);
        var raw = new List<AddedTokenMatcher.Segment>();
        _rawTokens.Split(text, raw);
        var inner = new List<AddedTokenMatcher.Segment>();
        foreach (var segment in raw)
        {
            if (segment.TokenId >= 0)
            {
                ids.Add(segment.TokenId);
                continue;
            }

            var piece = text.AsSpan(segment.Start, segment.Length);
            var normalized = _escapeWhitespace ? piece.ToString().Replace(' ', '\u2581') : piece.ToString();
            inner.Clear();
            _normalizedTokens.Split(normalized, inner);
            foreach (var part in inner)
            {
                if (part.TokenId >= 0)
                {
                    ids.Add(part.TokenId);
                }
                else
                {
                    EncodeStretch(normalized.AsSpan(part.Start, part.Length), ids);
                }
            }
        }
    }

    /// <summary>
    /// BPE on one stretch between added tokens, cut first after each occurrence of the pre-tokenizer's delimiter
    /// (Hugging Face's Split, MergedWithPrevious). transformers 5 writes Split(' ') after the Replace(' ', '▁')
    /// normaliser, where it never matches, so for Gemma the whole stretch is one BPE word, as in SentencePiece.
    /// </summary>
    private void EncodeStretch(ReadOnlySpan<char> stretch, List<int> ids)
    {
        if (_splitAfter is null)
        {
            _encoder.Encode(stretch, ids);
            return;
        }

        int cut;
        while ((cut = stretch.IndexOf(_splitAfter, StringComparison.Ordinal)) >= 0)
        {
            var end = cut + _splitAfter.Length;
            _encoder.Encode(stretch[..end], ids);
            stretch = stretch[end..];
        }

        _encoder.Encode(stretch, ids);
    }

    /// <summary>The id of a vocabulary entry or added token spelled exactly so, if there is one.</summary>
    public bool TryGetId(string token, out int id) => _tokenToId.TryGetValue(token, out id);

    /// <summary>The vocabulary entry of <paramref name="id"/> ('▁' for spaces, &lt;0xNN&gt; for bytes), or null for a gap.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TokenizerFormatException(path, null, $"cannot read the tokenizer file ({ex.Message})", ex);
        }
    }
}
