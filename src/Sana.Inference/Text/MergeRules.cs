namespace Sana.Inference.Text;

/// <summary>
/// Which adjacent symbols may merge, and in what order. The two tokenizer files state this differently: a
/// SentencePiece model lets any two symbols merge whose concatenation is a piece, best score first; a Hugging Face
/// tokenizer.json lists merge pairs, lowest rank first. Lower <c>priority</c> merges first; ties go leftmost.
/// </summary>
internal interface IMergeRules
{
    bool TryGetMerge(ReadOnlySpan<char> merged, int leftId, int rightId, out double priority, out int mergedId);
}

/// <summary>SentencePiece's rule: the concatenation must be a mergeable piece; its score ranks it (higher first).</summary>
internal sealed class PieceScoreMergeRules : IMergeRules
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _pieces;
    private readonly float[] _scores;

    public PieceScoreMergeRules(Dictionary<string, int> mergeablePieces, float[] scores)
    {
        _pieces = mergeablePieces.GetAlternateLookup<ReadOnlySpan<char>>();
        _scores = scores;
    }

    public bool TryGetMerge(ReadOnlySpan<char> merged, int leftId, int rightId, out double priority, out int mergedId)
    {
        if (_pieces.TryGetValue(merged, out mergedId))
        {
            priority = -(double)_scores[mergedId];
            return true;
        }

        priority = 0;
        return false;
    }
}

/// <summary>The Hugging Face BPE rule: the pair of ids must be listed; its position in the list ranks it.</summary>
internal sealed class RankedMergeRules(Dictionary<long, (int Rank, int MergedId)> merges) : IMergeRules
{
    public static long Key(int leftId, int rightId) => ((long)leftId << 32) | (uint)rightId;

    public bool TryGetMerge(ReadOnlySpan<char> merged, int leftId, int rightId, out double priority, out int mergedId)
    {
        if (leftId >= 0 && rightId >= 0 && merges.TryGetValue(Key(leftId, rightId), out var merge))
        {
            priority = merge.Rank;
            mergedId = merge.MergedId;
            return true;
        }

        priority = 0;
        mergedId = -1;
        return false;
    }
}
