using System.Text;

namespace Sana.Inference.Text;

/// <summary>
/// Byte-pair encoding of one stretch of normalised text with no added tokens inside, the way SentencePiece's
/// bpe_model and Hugging Face's BPE do it: every code point starts as a symbol, then the best-ranked adjacent pair is
/// merged again and again (ties: the leftmost pair) until no pair may merge. A priority queue with lazily dropped stale
/// entries and a doubly linked symbol list keep this O(n log n): a 2000-character prompt costs a millisecond or so,
/// nothing next to the text encoder. Symbols left unknown fall back to their UTF-8 bytes (<c>&lt;0xNN&gt;</c> pieces)
/// or to the unknown id.
/// </summary>
internal sealed class BpeEncoder
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _symbols;
    private readonly IMergeRules _merges;
    private readonly int[]? _byteIds;
    private readonly bool _byteFallbackWholeCharacter;
    private readonly int _unknownId;
    private readonly bool _fuseUnknown;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>? _wholeWords;

    /// <param name="symbols">Ids of single code points (a code point missing here starts as an unknown symbol).</param>
    /// <param name="merges">The merge rules and their order.</param>
    /// <param name="byteIds">Id of each byte piece (-1 where missing), or null when byte fallback is off.</param>
    /// <param name="byteFallbackWholeCharacter">
    /// True for Hugging Face (a character falls back to bytes only if all its byte pieces exist, else it is unknown);
    /// false for SentencePiece (each byte without a piece becomes unknown on its own).
    /// </param>
    /// <param name="unknownId">The unknown id, or -1 when there is none.</param>
    /// <param name="fuseUnknown">Consecutive unknown symbols give one unknown id.</param>
    /// <param name="wholeWords">Hugging Face's <c>ignore_merges</c>: a stretch that is itself in this vocabulary is one token.</param>
    public BpeEncoder(
        Dictionary<string, int> symbols,
        IMergeRules merges,
        int[]? byteIds,
        bool byteFallbackWholeCharacter,
        int unknownId,
        bool fuseUnknown,
        Dictionary<string, int>? wholeWords)
    {
        _symbols = symbols.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _byteIds = byteIds;
        _byteFallbackWholeCharacter = byteFallbackWholeCharacter;
        _unknownId = unknownId;
        _fuseUnknown = fuseUnknown;
        _wholeWords = wholeWords?.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        if (text.IsEmpty)
        {
            return;
        }

        if (_wholeWords is { } wholeWords && wholeWords.TryGetValue(text, out var wholeId))
        {
            output.Add(wholeId);
            return;
        }

        var symbols = Split(text);
        MergeAll(text, symbols);
        Emit(text, symbols, output);
    }

    private SymbolList Split(ReadOnlySpan<char> text)
    {
        var list = new SymbolList(text.Length);
        var position = 0;
        while (position < text.Length)
        {
            var length = char.IsHighSurrogate(text[position]) && position + 1 < text.Length && char.IsLowSurrogate(text[position + 1]) ? 2 : 1;
            var id = _symbols.TryGetValue(text.Slice(position, length), out var found) ? found : -1;
            list.Add(position, length, id);
            position += length;
        }

        list.Link();
        return list;
    }

    private void MergeAll(ReadOnlySpan<char> text, SymbolList s)
    {
        var queue = new PriorityQueue<Candidate, Candidate>(s.Count, CandidateOrder.Instance);
        for (var i = 0; i + 1 < s.Count; i++)
        {
            TryQueue(text, s, i, i + 1, queue);
        }

        while (queue.TryDequeue(out var top, out _))
        {
            int left = top.Left, right = top.Right;
            // Stale when either side was merged away or grew since the pair was queued.
            if (s.Length[left] == 0 || s.Length[right] == 0 || s.Next[left] != right ||
                s.Length[left] + s.Length[right] != top.Length)
            {
                continue;
            }

            s.Length[left] = top.Length;
            s.Id[left] = top.MergedId;
            s.Length[right] = 0;
            var after = s.Next[right];
            s.Next[left] = after;
            if (after >= 0)
            {
                s.Prev[after] = left;
            }

            if (s.Prev[left] >= 0)
            {
                TryQueue(text, s, s.Prev[left], left, queue);
            }

            if (after >= 0)
            {
                TryQueue(text, s, left, after, queue);
            }
        }
    }

    private void TryQueue(ReadOnlySpan<char> text, SymbolList s, int left, int right, PriorityQueue<Candidate, Candidate> queue)
    {
        var length = s.Length[left] + s.Length[right];
        if (_merges.TryGetMerge(text.Slice(s.Start[left], length), s.Id[left], s.Id[right], out var priority, out var mergedId))
        {
            var candidate = new Candidate(left, right, length, mergedId, priority);
            queue.Enqueue(candidate, candidate);
        }
    }

    private void Emit(ReadOnlySpan<char> text, SymbolList s, List<int> output)
    {
        var previousUnknown = false;
        for (var i = 0; i >= 0; i = s.Next[i])
        {
            if (s.Id[i] >= 0)
            {
                output.Add(s.Id[i]);
                previousUnknown = false;
                continue;
            }

            if (_byteIds is not null && TryEmitBytes(text.Slice(s.Start[i], s.Length[i]), output, ref previousUnknown))
            {
                continue;
            }

            AddUnknown(output, ref previousUnknown);
        }
    }

    private bool TryEmitBytes(ReadOnlySpan<char> symbol, List<int> output, ref bool previousUnknown)
    {
        Span<byte> utf8 = stackalloc byte[16];
        // A lone surrogate cannot be UTF-8; it is written as U+FFFD, as .NET's encoder does.
        var count = Encoding.UTF8.GetBytes(symbol, utf8);
        var bytes = utf8[..count];
        if (_byteFallbackWholeCharacter)
        {
            foreach (var b in bytes)
            {
                if (_byteIds![b] < 0)
                {
                    return false;
                }
            }
        }

        foreach (var b in bytes)
        {
            var id = _byteIds![b];
            if (id >= 0)
            {
                output.Add(id);
                previousUnknown = false;
            }
            else
            {
                AddUnknown(output, ref previousUnknown);
            }
        }

        return true;
    }

    private void AddUnknown(List<int> output, ref bool previousUnknown)
    {
        // Without an unknown id (Hugging Face's unk_token null) the character is dropped, as there.
        if (_unknownId >= 0 && !(_fuseUnknown && previousUnknown))
        {
            output.Add(_unknownId);
        }

        previousUnknown = true;
    }

    private readonly record struct Candidate(int Left, int Right, int Length, int MergedId, double Priority);

    private sealed class CandidateOrder : IComparer<Candidate>
    {
        public static readonly CandidateOrder Instance = new();

        public int Compare(Candidate x, Candidate y)
        {
            var byPriority = x.Priority.CompareTo(y.Priority);
            return byPriority != 0 ? byPriority : x.Left.CompareTo(y.Left);
        }
    }

    /// <summary>Symbols as parallel arrays; a symbol's index is that of its first code point, merged-away ones have length 0.</summary>
    private sealed class SymbolList(int capacity)
    {
        public readonly int[] Start = new int[capacity];
        public readonly int[] Length = new int[capacity];
        public readonly int[] Id = new int[capacity];
        public readonly int[] Prev = new int[capacity];
        public readonly int[] Next = new int[capacity];

        public int Count { get; private set; }

        public void Add(int start, int length, int id)
        {
            Start[Count] = start;
            Length[Count] = length;
            Id[Count] = id;
            Count++;
        }

        public void Link()
        {
            for (var i = 0; i < Count; i++)
            {
                Prev[i] = i - 1;
                Next[i] = i + 1 < Count ? i + 1 : -1;
            }
        }
    }
}
