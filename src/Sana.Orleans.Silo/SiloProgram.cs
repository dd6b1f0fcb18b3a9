using Sana.Orleans.Silo.Hosting;

namespace Sana.Orleans.Silo;

/// <summary>Standalone silo entry point (`sana-silo`); the `sana silo` command calls the same <see cref="SanaSilo.RunAsync"/>.</summary>
internal static class SiloProgram
{
    public static Task<int> Main(string[] args) => SanaSilo.RunAsync(args, Console.Out);
}
