namespace Sana.Cli;

/// <summary>
/// The tiny random-weight Sana model that ships beside the binary (models/tiny-sana), so that `sana generate` works
/// on a fresh machine with nothing downloaded. Real models are exported with tools/export/export_sana.py.
/// </summary>
internal static class BundledModel
{
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "models", "tiny-sana");
}
