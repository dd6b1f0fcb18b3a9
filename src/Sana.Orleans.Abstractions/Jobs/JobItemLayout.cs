namespace Sana.Orleans.Jobs;

/// <summary>
/// Where each image of a job sits among its items: the job numbers its images 0..N-1 item after item, and image j is
/// image i of item k. A job of one prompt is one item. Computed once per job (a binary search per image after that).
/// </summary>
public sealed class JobItemLayout
{
    private readonly ImageJobRequest _request;
    private readonly int[] _starts; // the job index of each item's first image, then the total

    public JobItemLayout(ImageJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _request = request;
        var items = request.Items is { Length: > 0 } list ? list : null;
        _starts = new int[(items?.Length ?? 1) + 1];
        if (items is null)
        {
            _starts[1] = request.Count;
            return;
        }

        for (var k = 0; k < items.Length; k++)
        {
            _starts[k + 1] = checked(_starts[k] + Math.Max(0, items[k].Count));
        }
    }

    public int ItemCount => _starts.Length - 1;

    public int ImageCount => _starts[^1];

    /// <summary>Item k and the index within it of the job's image <paramref name="index"/>.</summary>
    public (int Item, int IndexInItem) Locate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ImageCount);
        var found = Array.BinarySearch(_starts, 0, _starts.Length - 1, index);
        var item = found >= 0 ? LastStartingAt(found) : ~found - 1;
        return (item, index - _starts[item]);
    }

    /// <summary>The seed of the job's image <paramref name="index"/>: its item's seed + its index in the item, wrapping.</summary>
    public ulong SeedOf(int index)
    {
        var (item, indexInItem) = Locate(index);
        return unchecked(ItemSeed(item) + (ulong)indexInItem);
    }

    /// <summary>The job's first image index of item <paramref name="item"/>.</summary>
    public int StartOf(int item) => _starts[item];

    /// <summary>Item <paramref name="item"/> as a job of one prompt: what a GPU runs for its images.</summary>
    public ImageJobRequest RequestOf(int item)
    {
        if (_request.Items is not { Length: > 0 } items)
        {
            return _request;
        }

        var it = items[item];
        return _request with { Items = null, Prompt = it.Prompt, NegativePrompt = it.NegativePrompt, Count = it.Count, Seed = it.Seed };
    }

    /// <summary>The prompt of item <paramref name="item"/>.</summary>
    public string PromptOf(int item) => _request.Items is { Length: > 0 } items ? items[item].Prompt : _request.Prompt;

    private ulong ItemSeed(int item) => _request.Items is { Length: > 0 } items ? items[item].Seed : _request.Seed;

    /// <summary>Items with no images share a start with the next: the image belongs to the last item starting there.</summary>
    private int LastStartingAt(int position)
    {
        while (position + 1 < _starts.Length - 1 && _starts[position + 1] == _starts[position])
        {
            position++;
        }

        return position;
    }
}
