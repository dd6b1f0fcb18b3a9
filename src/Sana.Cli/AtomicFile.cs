namespace Sana.Cli;

/// <summary>Writes a file so that readers see either nothing or the whole file, never a half-written one.</summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
