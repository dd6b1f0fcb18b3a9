using Sana.Inference.Text;

namespace Sana.Inference.Tests.Text;

/// <summary>SanaPipeline's <c>prompt.lower().strip()</c>; expectations are what CPython 3.11 returns.</summary>
public sealed class PromptPreprocessingTests
{
    [Theory]
    [InlineData("A Cat", "a cat")]
    [InlineData("  Hello World \n", "hello world")]
    [InlineData("\u00A0\u3000\u2028x\u2009\u205F", "x")]
    [InlineData("\u001C\u001Dx\u001E\u001F", "x")]
    [InlineData("\u200Bx\u200B", "\u200bx\u200b")] // zero-width space is not whitespace to Python
    [InlineData("\uFEFFx", "\uFEFFx")]
    [InlineData("a\t\tB", "a\t\tb")]
    [InlineData("", "")]
    [InlineData(" \t\n ", "")]
    public void Strips_what_python_calls_whitespace_and_lowers(string prompt, string expected) =>
        Assert.Equal(expected, SanaPromptTokenizer.Preprocess(prompt));

    [Theory]
    [InlineData("İstanbul", "i\u0307stanbul")] // one code point lowers to two
    [InlineData("ΟΔΟΣ", "οδος")] // final sigma
    [InlineData("ΣΑΣ ΟΔΟΣ.", "σας οδος.")]
    [InlineData("Σ", "σ")] // not final: nothing cased before it
    [InlineData("ΑΣ'Α", "ασ'α")] // case-ignorable apostrophe, then a cased letter: not final
    [InlineData("Α'Σ", "α'ς")]
    [InlineData("ÉCOLE ÜBER ẞ Ǆ ǅ Ω K", "école über ß ǆ ǆ ω k")]
    [InlineData("ДОБРЫЙ ДЕНЬ", "добрый день")]
    [InlineData("𐐀𐐁", "𐐨𐐩")] // outside the BMP
    [InlineData("Ⓐ", "ⓐ")]
    [InlineData("日本語 😀", "日本語 😀")]
    public void Lowers_as_python_does(string prompt, string expected) =>
        Assert.Equal(expected, SanaPromptTokenizer.Preprocess(prompt));
}
