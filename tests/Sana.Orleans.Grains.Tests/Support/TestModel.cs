namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>The model the cluster tests run, and request sizes that suit it.</summary>
public static class TestModel
{
    /// <summary>The tiny real Sana model folder; null runs the deterministic double.</summary>
    public static string? Folder => null;

    public const int Side = 16;

    public const int Steps = 2;
}
