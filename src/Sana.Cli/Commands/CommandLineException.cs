namespace Sana.Cli.Commands;

/// <summary>
/// A command-line argument the command cannot use, named as the user typed it ("--count: 0 is outside 1..100000"):
/// the command prints the message as its one line and exits with <see cref="ExitCodes.BadInput"/>.
/// </summary>
internal sealed class CommandLineException : Exception
{
    public CommandLineException() { }

    public CommandLineException(string message) : base(message) { }

    public CommandLineException(string message, Exception innerException) : base(message, innerException) { }

    public CommandLineException(string option, string problem) : base($"{option}: {problem}") => Option = option;

    /// <summary>The option at fault, with its dashes, when one is.</summary>
    public string? Option { get; }

    /// <summary>
    /// A message of the cluster's or the pipeline's validation ("guidance_scale: ...", named by request field) with
    /// the field replaced by the option that sets it, so the user reads the name they typed.
    /// </summary>
    public static CommandLineException FromField(string? field, string message)
    {
        if (field is null || !message.StartsWith(field + ":", StringComparison.Ordinal))
        {
            return new CommandLineException(message);
        }

        var option = field switch
        {
            "sampler" => "--scheduler",
            "job_id" => "--job-id",
            _ => "--" + field.Replace('_', '-'),
        };
        return new CommandLineException(option, message[(field.Length + 1)..].TrimStart());
    }
}
