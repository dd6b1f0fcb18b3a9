using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Sana.Cli;

/// <summary>
/// What a command line that does not parse gets: one line naming the option and what it takes, then exit code 2
/// (the parser's own answer is its error and the whole help text, with .NET type names).
/// </summary>
internal static class CommandLineErrors
{
    public static string? Describe(ParseResult parse)
    {
        // --help answers even a command line that does not parse (sana generate --help has no --prompt).
        if (parse.Errors.Count == 0 || parse.RootCommandResult.Command.Options.OfType<HelpOption>().Any(h => parse.GetResult(h) is not null))
        {
            return null;
        }

        var command = parse.CommandResult.Command;
        var name = command is RootCommand ? "sana" : $"sana {command.Name}";
        if (command is RootCommand && command.Subcommands.Count > 0 && parse.Tokens.Count == 0)
        {
            return $"sana: name a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))} (sana --help says what each does)";
        }

        // A missing required option first: the parser words it as "Option '--prompt' is required."
        if (command.Options.FirstOrDefault(o => o.Required && parse.GetResult(o) is not { IdentifierTokenCount: > 0 }) is { } missing)
        {
            return $"{name}: {missing.Name} is required: {missing.Description}";
        }

        var error = parse.Errors[0];
        var message = string.Join(' ', error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (error.SymbolResult is OptionResult or ArgumentResult { Parent: OptionResult } && !message.StartsWith("--", StringComparison.Ordinal))
        {
            var option = error.SymbolResult as OptionResult ?? (OptionResult)((ArgumentResult)error.SymbolResult!).Parent!;
            message = $"{option.Option.Name}: {message}";
        }

        return message.StartsWith("--", StringComparison.Ordinal) ? $"{name}: {message}" : $"{name}: {message} ({name} --help lists the options)";
    }
}
