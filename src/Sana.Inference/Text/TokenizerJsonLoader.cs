using System.Text.Json;

namespace Sana.Inference.Text;

/// <summary>
/// Reads a Hugging Face tokenizer.json and builds a <see cref="GemmaTokenizer"/> with the tokenizers library's BPE
/// rules: listed merge pairs, lowest rank first; added tokens split out first (on the raw text, or on the normalised
/// text for those marked <c>normalized</c>). Only what Gemma's files use is accepted: a BPE model, at most the
/// Replace(' ', '▁') normaliser, and no pre-tokenizer or the Split(' ', MergedWithPrevious) transformers 5 writes;
/// anything else is refused naming the field, since silently ignoring it would change ids.
/// </summary>
internal static class TokenizerJsonLoader
{
    private const char MetaSpace = '\u2581';

    public static GemmaTokenizer Load(ReadOnlySpan<byte> utf8Json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new TokenizerFormatException(source, null, $"not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new TokenizerFormatException(source, null, "the top level is not a JSON object");
            }

            return Build(root, source);
        }
    }

    private static GemmaTokenizer Build(JsonElement root, string source)
    {
        var escapeWhitespace = ReadNormalizer(root, source);
        var splitAfter = ReadPreTokenizer(root, source);

        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerFormatException(source, "model", "missing");
        }

        var type = OptionalString(model, "type", source, "model.type");
        if (type != "BPE")
        {
            throw new TokenizerFormatException(source, "model.type", $"'{type}' is not supported; Gemma's tokenizer is BPE");
        }

        RejectSetting(model, "dropout", source, v => v.ValueKind is JsonValueKind.Null || (v.ValueKind == JsonValueKind.Number && v.GetDouble() == 0));
        RejectSetting(model, "continuing_subword_prefix", source, IsNullOrEmptyString);
        RejectSetting(model, "end_of_word_suffix", source, IsNullOrEmptyString);

        var vocab = ReadVocab(model, source);
        var merges = ReadMerges(model, vocab, source);
        var addedTokens = ReadAddedTokens(root, source);

        var byteFallback = OptionalBool(model, "byte_fallback", source, "model.byte_fallback");
        int[]? byteIds = null;
        if (byteFallback)
        {
            byteIds = new int[256];
            for (var b = 0; b < 256; b++)
            {
                byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
            }
        }

        var unknownToken = OptionalString(model, "unk_token", source, "model.unk_token");
        var unknownId = -1;
        if (unknownToken is not null && !vocab.TryGetValue(unknownToken, out unknownId))
        {
            throw new TokenizerFormatException(source, "model.unk_token", $"'{unknownToken}' is not in model.vocab");
        }

        var encoder = new BpeEncoder(
            vocab,
            new RankedMergeRules(merges),
            byteIds,
            byteFallbackWholeCharacter: true,
            unknownId,
            OptionalBool(model, "fuse_unk", source, "model.fuse_unk"),
            OptionalBool(model, "ignore_merges", source, "model.ignore_merges") ? vocab : null);

        var maxId = Math.Max(vocab.Count == 0 ? -1 : vocab.Values.Max(), addedTokens.Count == 0 ? -1 : addedTokens.Max(t => t.Id));
        var idToToken = new string?[maxId + 1];
        var tokenToId = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (var (token, id) in vocab)
        {
            idToToken[id] = token;
        }

        foreach (var token in addedTokens)
        {
            idToToken[token.Id] = token.Content;
            tokenToId[token.Content] = token.Id;
        }

        var raw = addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t.Id));
        var normalized = addedTokens.Where(t => t.Normalized)
            .Select(t => (escapeWhitespace ? t.Content.Replace(' ', MetaSpace) : t.Content, t.Id));
        return new GemmaTokenizer(
            source,
            new AddedTokenMatcher(raw),
            new AddedTokenMatcher(normalized),
            escapeWhitespace,
            splitAfter,
            encoder,
            idToToken,
            tokenToId);
    }

    /// <summary>True when spaces become '▁'; the only normalisation Gemma's tokenizer.json has.</summary>
    private static bool ReadNormalizer(JsonElement root, string source)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (IsSpaceToMetaSpace(normalizer))
        {
            return true;
        }

        if (normalizer.ValueKind == JsonValueKind.Object &&
            normalizer.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Sequence" &&
            normalizer.TryGetProperty("normalizers", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            var all = items.EnumerateArray().ToList();
            if (all.TrueForAll(IsSpaceToMetaSpace))
            {
                return all.Count > 0;
            }
        }

        throw new TokenizerFormatException(source, "normalizer", $"{Describe(normalizer)} is not supported; only Replace(' ', '\u2581') as in Gemma's file");
    }

    /// <summary>
    /// The delimiter of a Split pre-tokenizer (literal string, MergedWithPrevious, not inverted), which transformers 5
    /// writes for Gemma; null when there is none. Other pre-tokenizers would need more than this reproduces.
    /// </summary>
    private static string? ReadPreTokenizer(JsonElement root, string source)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (pre.ValueKind == JsonValueKind.Object &&
            pre.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Split" &&
            pre.TryGetProperty("pattern", out var pattern) && pattern.ValueKind == JsonValueKind.Object &&
            pattern.TryGetProperty("String", out var delimiter) && delimiter.ValueKind == JsonValueKind.String &&
            delimiter.GetString()!.Length > 0 &&
            pre.TryGetProperty("behavior", out var behavior) && behavior.ValueKind == JsonValueKind.String &&
            behavior.GetString() == "MergedWithPrevious" &&
            !OptionalBool(pre, "invert", source, "pre_tokenizer.invert"))
        {
            return delimiter.GetString();
        }

        throw new TokenizerFormatException(
            source, "pre_tokenizer", $"{Describe(pre)} is not supported; only none or Split(' ', MergedWithPrevious) as transformers writes for Gemma");
    }

    private static bool IsSpaceToMetaSpace(JsonElement n) =>
        n.ValueKind == JsonValueKind.Object &&
        n.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Replace" &&
        n.TryGetProperty("pattern", out var pattern) && pattern.ValueKind == JsonValueKind.Object &&
        pattern.TryGetProperty("String", out var from) && from.ValueKind == JsonValueKind.String && from.GetString() == " " &&
        n.TryGetProperty("content", out var to) && to.ValueKind == JsonValueKind.String && to.GetString() == "\u2581";

    private static Dictionary<string, int> ReadVocab(JsonElement model, string source)
    {
        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerFormatException(source, "model.vocab", "missing or not an object of token: id");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
            {
                throw new TokenizerFormatException(source, "model.vocab", $"'{entry.Name}' has no valid id");
            }

            vocab[entry.Name] = id;
        }

        return vocab;
    }

    private static Dictionary<long, (int Rank, int MergedId)> ReadMerges(JsonElement model, Dictionary<string, int> vocab, string source)
    {
        var merges = new Dictionary<long, (int, int)>();
        if (!model.TryGetProperty("merges", out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return merges;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerFormatException(source, "model.merges", "not an array");
        }

        var rank = 0;
        foreach (var merge in list.EnumerateArray())
        {
            var (left, right) = ReadMergePair(merge, source, rank);
            if (!vocab.TryGetValue(left, out var leftId) || !vocab.TryGetValue(right, out var rightId) ||
                !vocab.TryGetValue(left + right, out var mergedId))
            {
                throw new TokenizerFormatException(source, $"model.merges[{rank}]", $"'{left}' '{right}' uses or makes a token missing from model.vocab");
            }

            // Later duplicates win, as in the tokenizers library's map.
            merges[RankedMergeRules.Key(leftId, rightId)] = (rank, mergedId);
            rank++;
        }

        return merges;
    }

    private static (string Left, string Right) ReadMergePair(JsonElement merge, string source, int rank)
    {
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2 &&
            merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
        {
            return (merge[0].GetString()!, merge[1].GetString()!);
        }

        if (merge.ValueKind == JsonValueKind.String)
        {
            var text = merge.GetString()!;
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && space < text.Length - 1 && text.IndexOf(' ', space + 1) < 0)
            {
                return (text[..space], text[(space + 1)..]);
            }
        }

        throw new TokenizerFormatException(source, $"model.merges[{rank}]", "neither \"left right\" nor [\"left\", \"right\"]");
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string source)
    {
        var tokens = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return tokens;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerFormatException(source, "added_tokens", "not an array");
        }

        var index = 0;
        foreach (var token in list.EnumerateArray())
        {
            var field = $"added_tokens[{index}]";
            if (token.ValueKind != JsonValueKind.Object ||
                !token.TryGetProperty("id", out var idElement) || !idElement.TryGetInt32(out var id) || id < 0 ||
                OptionalString(token, "content", source, field + ".content") is not { Length: > 0 } content)
            {
                throw new TokenizerFormatException(source, field, "needs a non-negative id and a non-empty content");
            }

            foreach (var flag in (string[])["lstrip", "rstrip", "single_word"])
            {
                if (OptionalBool(token, flag, source, $"{field}.{flag}"))
                {
                    throw new TokenizerFormatException(source, $"{field}.{flag}", $"true is not supported (token '{content}'); Gemma's added tokens use none");
                }
            }

            tokens.Add(new AddedToken(content, id, OptionalBool(token, "normalized", source, field + ".normalized")));
            index++;
        }

        return tokens;
    }

    private static void RejectSetting(JsonElement model, string name, string source, Func<JsonElement, bool> isSupported)
    {
        if (model.TryGetProperty(name, out var value) && !isSupported(value))
        {
            throw new TokenizerFormatException(source, "model." + name, $"{value.GetRawText()} is not supported");
        }
    }

    private static bool IsNullOrEmptyString(JsonElement v) =>
        v.ValueKind == JsonValueKind.Null || (v.ValueKind == JsonValueKind.String && v.GetString()!.Length == 0);

    private static bool OptionalBool(JsonElement owner, string name, string source, string field)
    {
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerFormatException(source, field, $"{value.GetRawText()} is not a boolean"),
        };
    }

    private static string? OptionalString(JsonElement owner, string name, string source, string field)
    {
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new TokenizerFormatException(source, field, $"{value.GetRawText()} is not a string");
    }

    private static string Describe(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? $"type '{type.GetString()}'"
            : element.GetRawText().Length > 80 ? element.GetRawText()[..80] + "..." : element.GetRawText();

    private sealed record AddedToken(string Content, int Id, bool Normalized);
}
