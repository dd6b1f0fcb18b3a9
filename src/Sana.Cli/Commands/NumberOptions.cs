using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Sana.Cli.Commands;

/// <summary>
/// Numeric options that parse and range-check their own value, so a bad one is one line naming the option and what it
/// takes ("--seed: -1 is not a whole number in 0..18446744073709551615") instead of the parser's type names.
/// </summary>
internal static class NumberOptions
{
    public static Option<T> Whole<T>(string name, T min, T max, T defaultValue, string description, params string[] aliases)
        where T : struct, IBinaryInteger<T> => new(name, aliases)
        {
            Description = $"{description} ({min}..{max})",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseWhole(result, name, min, max) ?? defaultValue,
        };

    public static Option<T?> OptionalWhole<T>(string name, T min, T max, string description)
        where T : struct, IBinaryInteger<T> => new(name)
        {
            Description = $"{description} ({min}..{max})",
            CustomParser = result => ParseWhole(result, name, min, max),
        };

    /// <summary>Any number, NaN and infinities included: their limits are the request validation's to name.</summary>
    public static Option<double> Real(string name, double defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Token(result);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            result.AddError($"{name}: '{text}' is not a number");
            return defaultValue;
        },
    };

    private static T? ParseWhole<T>(ArgumentResult result, string name, T min, T max)
        where T : struct, IBinaryInteger<T>
    {
        var text = Token(result);
        if (T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name}: {text} is not a whole number in {min}..{max}"));
        return null;
    }

    private static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
}
