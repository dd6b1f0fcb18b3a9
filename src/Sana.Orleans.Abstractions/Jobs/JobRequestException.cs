namespace Sana.Orleans.Jobs;

/// <summary>
/// A submitted request is invalid; nothing was stored and nothing will run. The message names the field and its limit,
/// e.g. "width: 1000 must be a multiple of 32 ..."; <see cref="Field"/> carries the field alone.
/// </summary>
[GenerateSerializer]
[Alias("sana.JobRequestException")]
public sealed class JobRequestException : Exception
{
    public JobRequestException() { }

    public JobRequestException(string message) : base(message) { }

    public JobRequestException(string message, Exception innerException) : base(message, innerException) { }

    public JobRequestException(string field, string problem) : base($"{field}: {problem}") => Field = field;

    [Id(0)] public string? Field { get; init; }
}
