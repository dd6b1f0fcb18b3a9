using System.Diagnostics;

namespace Sana.TestSupport;

/// <summary>
/// A folder nobody can write in, this process included: a read-only tmpfs mounted on it when the tests run as root
/// (root ignores permission bits, as on the CI machine), else a folder without write permission. Disposing unmounts
/// and deletes it.
/// </summary>
public sealed class ReadOnlyFolder : IDisposable
{
    private readonly bool _mounted;

    public ReadOnlyFolder()
    {
        Path = Directory.CreateTempSubdirectory("sana-read-only-").FullName;
        if (Environment.IsPrivilegedProcess)
        {
            Run("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", Path);
            _mounted = true;
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        else
        {
            throw new PlatformNotSupportedException("a read-only folder is made with Unix permissions or a mount");
        }
    }

    public string Path { get; }

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", Path);
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(Path, recursive: true);
    }

    private static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Trim()}");
        }
    }
}
