using System.Globalization;

namespace Sana.Orleans.Jobs;

/// <summary>
/// Checks a request's text before it leaves the client: a lone UTF-16 surrogate cannot cross the wire (the UTF-8
/// encoding replaces it with U+FFFD), so without this the job would silently run on another prompt than the one asked
/// for. The silo checks the rest (and the same again, for requests made inside a silo).
/// </summary>
public static class JobRequestText
{
    /// <exception cref="JobRequestException">a prompt holds a lone surrogate; the field and position are named.</exception>
    public static void EnsureEncodable(ImageJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Check("prompt", request.Prompt);
        Check("negative_prompt", request.NegativePrompt);
        for (var k = 0; k < (request.Items?.Length ?? 0); k++)
        {
            Check($"items[{k}].prompt", request.Items![k]?.Prompt);
            Check($"items[{k}].negative_prompt", request.Items[k]?.NegativePrompt);
        }
    }

    private static void Check(string field, string? text)
    {
        if (text is null)
        {
            return;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                throw new JobRequestException(field, string.Create(CultureInfo.InvariantCulture, $"invalid Unicode: a lone surrogate at position {i}"));
            }
        }
    }
}
