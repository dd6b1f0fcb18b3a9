using Sana.Inference.Onnx;
using Sana.Inference.Text;

namespace Sana.Inference.Pipeline;

/// <summary>One prompt's text-encoder output after row selection: [rows, hidden] plus the matching mask.</summary>
internal sealed record PromptEmbedding(float[] Embeds, long[] Mask, int Rows, int Hidden);

/// <summary>
/// Runs the text encoder and keeps what the transformer reads. A positive prompt is encoded at its full budget and
/// then rows [0] + the last (max_sequence_length - 1) are kept (diffusers' select_index, Sana paper 3.1); a negative
/// prompt is encoded at max_sequence_length and kept whole. Both are cached: a job's images share one encoding and
/// the usual empty negative prompt is encoded once per pipeline.
/// </summary>
internal sealed class PromptEncoder(OnnxGraph textEncoder, SanaPromptTokenizer tokenizer, int hidden)
{
    private const int CacheCapacity = 32;
    private readonly Dictionary<(bool Negative, string Text), PromptEmbedding> _cache = [];
    private readonly Queue<(bool, string)> _order = new();
    private readonly Lock _gate = new();

    /// <summary>How many times the text encoder actually ran (cache misses); tests pin the caching with it.</summary>
    public int EncoderRuns { get; private set; }

    public PromptEmbedding Encode(string text, bool negative, CancellationToken cancellationToken)
    {
        var key = (negative, text);
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var hit))
            {
                return hit;
            }
        }

        var tokens = negative ? tokenizer.TokenizeNegative(text) : tokenizer.TokenizePrompt(text);
        var embedding = Run(tokens, cancellationToken);
        lock (_gate)
        {
            if (_cache.TryAdd(key, embedding))
            {
                _order.Enqueue(key);
                if (_order.Count > CacheCapacity)
                {
                    _cache.Remove(_order.Dequeue());
                }
            }
        }

        return embedding;
    }

    private PromptEmbedding Run(TokenizedPrompt tokens, CancellationToken cancellationToken)
    {
        var length = tokens.Length;
        var shape = new long[] { 1, length };
        var output = textEncoder.Run(
            [],
            [("input_ids", tokens.InputIds, shape), ("attention_mask", tokens.AttentionMask, shape)],
            ["last_hidden_state"],
            cancellationToken)[0];
        EncoderRuns++;
        if (output.Shape.Length != 3 || output.Shape[1] != length || output.Shape[2] != hidden)
        {
            throw new InvalidOperationException(
                $"{textEncoder.Path}: last_hidden_state has shape [{string.Join(", ", output.Shape)}], expected [1, {length}, {hidden}]");
        }

        // Row 0 (BOS) and then the last rows - 1 positions: the instruction prefix falls out of the window. A
        // negative prompt is max_sequence_length long already, and the same selection keeps all of it.
        var rows = tokenizer.MaxSequenceLength;
        var embeds = new float[rows * hidden];
        var mask = new long[rows];
        for (var r = 0; r < rows; r++)
        {
            var source = r == 0 ? 0 : length - rows + r;
            output.Data.AsSpan(source * hidden, hidden).CopyTo(embeds.AsSpan(r * hidden, hidden));
            mask[r] = tokens.AttentionMask[source];
        }

        return new PromptEmbedding(embeds, mask, rows, hidden);
    }
}
