using System.Buffers;
using System.Globalization;
using System.Text;

namespace Sana.Inference.Text;

/// <summary>
/// Python's <c>str.lower()</c> and <c>str.strip()</c>, which SanaPipeline applies to every prompt
/// (<c>text.lower().strip()</c>). .NET's own versions differ at the edges that matter for token ids: Python lowers
/// 'İ' to two code points ("i̇") and a word-final 'Σ' to 'ς', and strips U+001C..U+001F but not U+200B. The casing
/// tables are .NET's, so code points added to Unicode after the Python version used by the reference may differ.
/// </summary>
internal static class PythonText
{
    /// <summary><c>str.lower()</c>: full lowercase mapping (one special case) plus the Final_Sigma rule.</summary>
    public static string Lower(string text)
    {
        var codePoints = ToCodePoints(text);
        var builder = new StringBuilder(text.Length);
        Span<char> buffer = stackalloc char[2];
        for (var i = 0; i < codePoints.Length; i++)
        {
            var c = codePoints[i];
            if (c == 0x0130)
            {
                // LATIN CAPITAL LETTER I WITH DOT ABOVE: the one unconditional multi-code-point lowering.
                builder.Append("i\u0307");
            }
            else if (c == 0x03A3)
            {
                builder.Append(IsFinalSigma(codePoints, i) ? '\u03C2' : '\u03C3');
            }
            else if (Rune.IsValid(c))
            {
                builder.Append(buffer[..Rune.ToLowerInvariant(new Rune(c)).EncodeToUtf16(buffer)]);
            }
            else
            {
                builder.Append((char)c); // a lone surrogate has no case and passes through, as in Python
            }
        }

        return builder.ToString();
    }

    /// <summary><c>str.strip()</c> with no argument: trims Python's whitespace set from both ends.</summary>
    public static string Strip(string text)
    {
        var start = text.AsSpan().IndexOfAnyExcept(PythonWhitespace);
        if (start < 0)
        {
            return string.Empty;
        }

        var end = text.AsSpan().LastIndexOfAnyExcept(PythonWhitespace);
        return text[start..(end + 1)];
    }

    // Code points for which Python's str.isspace() is true (bidirectional class WS, B or S, or category Zs).
    private static readonly SearchValues<char> PythonWhitespace = SearchValues.Create(
        "\u0009\u000A\u000B\u000C\u000D\u001C\u001D\u001E\u001F\u0020\u0085\u00A0\u1680" +
        "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000");

    /// <summary>Code points of <paramref name="text"/>; a lone surrogate stands for itself.</summary>
    private static int[] ToCodePoints(string text)
    {
        var codePoints = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                codePoints.Add(char.ConvertToUtf32(text[i], text[i + 1]));
                i++;
            }
            else
            {
                codePoints.Add(text[i]);
            }
        }

        return [.. codePoints];
    }

    /// <summary>
    /// Unicode's Final_Sigma context as CPython tests it: a cased letter before (skipping case-ignorable ones) and no
    /// cased letter after (skipping case-ignorable ones).
    /// </summary>
    private static bool IsFinalSigma(int[] codePoints, int index)
    {
        var j = index - 1;
        while (j >= 0 && IsCaseIgnorable(codePoints[j]))
        {
            j--;
        }

        if (j < 0 || !IsCased(codePoints[j]))
        {
            return false;
        }

        j = index + 1;
        while (j < codePoints.Length && IsCaseIgnorable(codePoints[j]))
        {
            j++;
        }

        return j == codePoints.Length || !IsCased(codePoints[j]);
    }

    /// <summary>Unicode's Case_Ignorable: marks, format characters, modifiers, and the word-internal punctuation.</summary>
    private static bool IsCaseIgnorable(int c) =>
        CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol ||
        c is 0x0027 or 0x002E or 0x003A or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;

    /// <summary>Unicode's Cased: upper, lower and title case letters plus Other_Lowercase and Other_Uppercase.</summary>
    private static bool IsCased(int c) =>
        CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter ||
        (Rune.IsValid(c) && (Rune.ToLowerInvariant(new Rune(c)).Value != c || Rune.ToUpperInvariant(new Rune(c)).Value != c)) ||
        IsOtherCased(c);

    // Other_Lowercase and Other_Uppercase code points with no case mapping, other than modifier letters and marks
    // (those are case-ignorable, which Final_Sigma checks first). Checked against CPython 3.11 for every code point.
    private static bool IsOtherCased(int c) =>
        c is 0x00AA or 0x00BA or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189);
}
