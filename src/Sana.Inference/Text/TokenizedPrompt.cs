namespace Sana.Inference.Text;

/// <summary>
/// One prompt as the text encoder takes it: ids and mask of a fixed length (int64, as the ONNX graph's inputs), BOS
/// first, padded on the right. Fixed length so that prompts batch together and the encoder output for a prompt is
/// the same whatever it is batched with.
/// </summary>
/// <param name="InputIds">BOS, the prompt's ids (cut at the length), then the pad id.</param>
/// <param name="AttentionMask">1 for BOS and the prompt's ids, 0 for padding.</param>
/// <param name="TokenCount">How many entries are not padding (BOS included).</param>
/// <param name="Truncated">The prompt had more ids than fit, and the last ones were dropped.</param>
public sealed record TokenizedPrompt(long[] InputIds, long[] AttentionMask, int TokenCount, bool Truncated)
{
    public int Length => InputIds.Length;
}
