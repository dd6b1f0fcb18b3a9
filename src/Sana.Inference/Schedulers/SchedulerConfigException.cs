namespace Sana.Inference.Schedulers;

/// <summary>
/// The model folder's scheduler section (diffusers' scheduler_config.json) asks for something this runtime does not
/// reproduce. Raised when the config is parsed, so a model folder with such a config is refused at load time rather
/// than producing images that silently differ from diffusers'. The message names the field, what it holds and what
/// is supported; <see cref="Field"/> carries the field alone.
/// </summary>
public sealed class SchedulerConfigException : Exception
{
    public SchedulerConfigException() { }

    public SchedulerConfigException(string message) : base(message) { }

    public SchedulerConfigException(string message, Exception innerException) : base(message, innerException) { }

    public SchedulerConfigException(string field, string problem) : base($"scheduler.{field}: {problem}") => Field = field;

    /// <summary>The scheduler_config.json key at fault.</summary>
    public string? Field { get; }
}
