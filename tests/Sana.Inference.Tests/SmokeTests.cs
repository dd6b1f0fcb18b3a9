namespace Sana.Inference.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Assembly_loads() => Assert.NotNull(typeof(AssemblyMarker).Assembly);
}
