namespace Sana.Inference.Text;

/// <summary>
/// Finds added tokens (&lt;bos&gt;, &lt;start_of_turn&gt;, user-defined pieces) inside text so they become one id each
/// instead of being spelled out by BPE. Matching is leftmost, then longest, as both Hugging Face's added vocabulary
/// and SentencePiece's prefix matcher do it.
/// </summary>
internal sealed class AddedTokenMatcher
{
    public static readonly AddedTokenMatcher Empty = new([]);

    // Candidates grouped by first character, longest first, so a position costs one lookup plus a few compares.
    private readonly Dictionary<char, (string Content, int Id)[]> _byFirstChar;

    public AddedTokenMatcher(IEnumerable<(string Content, int Id)> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .DistinctBy(t => t.Content, StringComparer.Ordinal)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>
    /// Appends to <paramref name="segments"/> the stretches between tokens (never empty, <c>TokenId</c> -1) and the
    /// tokens found, in text order. Offsets are relative to <paramref name="text"/>.
    /// </summary>
    public void Split(ReadOnlySpan<char> text, List<Segment> segments)
    {
        var textStart = 0;
        var position = 0;
        while (position < text.Length && !IsEmpty)
        {
            var length = MatchAt(text, position, out var id);
            if (length == 0)
            {
                position++;
                continue;
            }

            if (position > textStart)
            {
                segments.Add(new Segment(textStart, position - textStart, -1));
            }

            segments.Add(new Segment(position, length, id));
            position += length;
            textStart = position;
        }

        if (textStart < text.Length)
        {
            segments.Add(new Segment(textStart, text.Length - textStart, -1));
        }
    }

    private int MatchAt(ReadOnlySpan<char> text, int position, out int id)
    {
        if (_byFirstChar.TryGetValue(text[position], out var candidates))
        {
            var rest = text[position..];
            foreach (var (content, tokenId) in candidates)
            {
                if (rest.StartsWith(content, StringComparison.Ordinal))
                {
                    id = tokenId;
                    return content.Length;
                }
            }
        }

        id = -1;
        return 0;
    }

    /// <summary>A stretch of text (<see cref="TokenId"/> -1) or one added token.</summary>
    public readonly record struct Segment(int Start, int Length, int TokenId);
}
