namespace Sana.Inference.Schedulers;

/// <summary>
/// The bookkeeping every sampler shares: steps come in order, once each, over buffers whose length never changes.
/// A multistep solver's history is only meaningful under those conditions, so breaking them is an error rather than
/// a quietly wrong image.
/// </summary>
internal sealed class StepSequence(int stepCount)
{
    private int _length = -1;

    public int Taken { get; private set; }

    /// <summary>Checks a step before it runs; returns the element count fixed by the first step.</summary>
    public int Begin(int stepIndex, int modelOutputLength, int sampleLength)
    {
        if (Taken == stepCount)
        {
            throw new InvalidOperationException($"all {stepCount} steps are done; step {stepIndex} was asked for");
        }

        if (stepIndex != Taken)
        {
            throw new InvalidOperationException($"step {stepIndex} was asked for but step {Taken} is next: steps run in order, once each");
        }

        if (modelOutputLength != sampleLength)
        {
            throw new InvalidOperationException($"model output has {modelOutputLength} elements, the sample {sampleLength}");
        }

        if (_length >= 0 && sampleLength != _length)
        {
            throw new InvalidOperationException($"the sample has {sampleLength} elements at step {stepIndex} but had {_length}: the batch must stay the same within a generation");
        }

        _length = sampleLength;
        return sampleLength;
    }

    public void End() => Taken++;
}
