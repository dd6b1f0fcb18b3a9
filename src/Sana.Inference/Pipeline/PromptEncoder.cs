using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>Token ids and attention mask of one prompt, as the text encoder takes them.</summary>
internal readonly record struct PromptTokens(long[] Ids, long[] Mask);

/// <summary>Turns prompt text into tokens the way SanaPipeline does (lower/strip, instruction prefix, padding).</summary>
internal interface IPromptTokenizer
{
    /// <summary>The positive prompt: preprocessed, prefixed with the complex human instruction, padded to its budget.</summary>
    PromptTokens TokenizePrompt(string prompt);

    /// <summary>The negative prompt: preprocessed, no instruction, padded to max_sequence_length.</summary>
    PromptTokens TokenizeNegative(string negativePrompt);
}

/// <summary>One prompt's text-encoder output after row selection: [rows, hidden] plus the matching mask.</summary>
internal sealed record PromptEmbedding(float[] Embeds, long[] Mask, int Rows, int Hidden);

/// <summary>
/// Runs the text encoder and keeps what the transformer reads. A positive prompt is encoded at its full budget and
/// then rows [0] + the last (max_sequence_length - 1) are kept (diffusers' select_index, Sana paper 3.1); a negative
/// prompt is encoded at max_sequence_length and kept whole. Both are cached: a job's images share one encoding and
/// the usual empty negative prompt is encoded once per pipeline.
/// </summary>
internal sealed class PromptEncoder(OnnxGraph textEncoder, IPromptTokenizer tokenizer, int maxSequenceLength, int hidden)
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

    private PromptEmbedding Run(PromptTokens tokens, CancellationToken cancellationToken)
    {
        var length = tokens.Ids.Length;
        var shape = new long[] { 1, length };
        var output = textEncoder.Run(
            [],
            [("input_ids", tokens.Ids, shape), ("attention_mask", tokens.Mask, shape)],
            ["last_hidden_state"],
            cancellationToken)[0];
        EncoderRuns++;
        if (output.Shape.Length != 3 || output.Shape[1] != length || output.Shape[2] != hidden)
        {
            throw new InvalidOperationException(
                $"{textEncoder.Path}: last_hidden_state has shape [{string.Join(", ", output.Shape)}], expected [1, {length}, {hidden}]");
        }

        var rows = Math.Min(maxSequenceLength, length);
        var embeds = new float[rows * hidden];
        var mask = new long[rows];
        for (var r = 0; r < rows; r++)
        {
            // Row 0 (BOS) and then the last rows - 1 positions: the instruction prefix falls out of the window.
            var source = r == 0 ? 0 : length - rows + r;
            output.Data.AsSpan(source * hidden, hidden).CopyTo(embeds.AsSpan(r * hidden, hidden));
            mask[r] = tokens.Mask[source];
        }

        return new PromptEmbedding(embeds, mask, rows, hidden);
    }
}
