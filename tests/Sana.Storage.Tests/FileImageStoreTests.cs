using Microsoft.Extensions.Logging.Abstractions;

namespace Sana.Storage.Tests;

public sealed class FileImageStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sana-files-").FullName;
    private readonly FileImageStore _store;

    public FileImageStoreTests() => _store = new FileImageStore(_root, NullLogger<FileImageStore>.Instance);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Save_writes_the_image_under_its_deterministic_name_and_reads_it_back()
    {
        var key = new ImageKey("job-1", 7, 42);

        var reference = await _store.SaveAsync(key, new byte[] { 1, 2, 3 }, default);

        Assert.Equal(Path.Combine(_root, "job-1", "000007-42.png"), reference);
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(reference));
        Assert.Equal(new byte[] { 1, 2, 3 }, await _store.ReadAsync(reference, default));
        Assert.Equal(new byte[] { 1, 2, 3 }, await _store.ReadAsync("job-1/000007-42.png", default));
    }

    [Fact]
    public async Task Saving_the_same_key_twice_overwrites_and_leaves_one_file()
    {
        var key = new ImageKey("job", 0, 5);

        var first = await _store.SaveAsync(key, new byte[] { 1 }, default);
        var second = await _store.SaveAsync(key, new byte[] { 2, 2 }, default);

        Assert.Equal(first, second);
        Assert.Single(Directory.GetFiles(Path.Combine(_root, "job")));
        Assert.Equal(new byte[] { 2, 2 }, await _store.ReadAsync(first, default));
    }

    [Fact]
    public async Task A_reader_never_sees_a_half_written_image()
    {
        var key = new ImageKey("job", 3, 9);
        var a = Enumerable.Repeat((byte)0xAA, 4 << 20).ToArray();
        var b = Enumerable.Repeat((byte)0xBB, 4 << 20).ToArray();
        await _store.SaveAsync(key, a, default);
        using var done = new CancellationTokenSource();

        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await _store.SaveAsync(key, i % 2 == 0 ? b : a, default);
            }

            await done.CancelAsync();
        });
        var reads = 0;
        while (!done.IsCancellationRequested)
        {
            var seen = await _store.ReadAsync(_store.PathOf(key), default);
            Assert.NotNull(seen);
            Assert.True(seen.AsSpan().SequenceEqual(a) || seen.AsSpan().SequenceEqual(b), "a read saw a mixed or partial image");
            reads++;
        }

        await writer;
        Assert.True(reads > 0);
    }

    [Fact]
    public async Task A_failed_save_leaves_neither_the_image_nor_a_temp_file()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _store.SaveAsync(new ImageKey("job", 1, 1), new byte[1024], cancelled.Token));

        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "job"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task List_returns_a_jobs_images_in_index_order_and_ignores_other_files()
    {
        await _store.SaveAsync(new ImageKey("job", 10, 110), new byte[] { 1 }, default);
        await _store.SaveAsync(new ImageKey("job", 2, 102), new byte[] { 1 }, default);
        await _store.SaveAsync(new ImageKey("other", 1, 1), new byte[] { 1 }, default);
        await File.WriteAllTextAsync(Path.Combine(_root, "job", ".000003-103.png.abc.tmp"), "partial");
        await File.WriteAllTextAsync(Path.Combine(_root, "job", "notes.txt"), "x");

        var keys = await _store.ListAsync("job", default).ToListAsync();

        Assert.Equal([new ImageKey("job", 2, 102), new ImageKey("job", 10, 110)], keys);
        Assert.Empty(await _store.ListAsync("never-ran", default).ToListAsync());
    }

    [Fact]
    public async Task Reading_a_missing_image_returns_null()
    {
        Assert.Null(await _store.ReadAsync(_store.PathOf(new ImageKey("job", 1, 1)), default));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    public async Task Job_ids_that_could_leave_the_folder_are_refused(string jobId)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _store.SaveAsync(new ImageKey(jobId, 0, 0), new byte[1], default));

        Assert.StartsWith("job id:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task References_outside_the_folder_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ReadAsync("/etc/passwd", default));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ReadAsync("../outside.png", default));
    }

    [Fact]
    public async Task The_manifest_lies_beside_the_images_is_replaced_whole_and_is_not_listed_as_an_image()
    {
        await _store.SaveAsync(new ImageKey("job", 0, 5), new byte[] { 1 }, default);

        await _store.SaveManifestAsync("job", "{\"index\":0}\n"u8.ToArray(), default);
        var reference = await _store.SaveManifestAsync("job", "{\"index\":1}\n"u8.ToArray(), default);

        Assert.Equal(Path.Combine(_root, "job", "manifest.jsonl"), reference);
        Assert.Equal("{\"index\":1}\n"u8.ToArray(), await _store.ReadAsync(reference, default));
        Assert.Equal(["000000-5.png", "manifest.jsonl"], Directory.GetFiles(Path.Combine(_root, "job")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([0], await _store.ListAsync("job", default).Select(k => k.Index).ToListAsync());
    }

    [Fact]
    public async Task A_folder_that_cannot_be_written_is_refused_at_once_with_the_reason()
    {
        using var readOnly = new Sana.TestSupport.ReadOnlyFolder();
        var store = new FileImageStore(readOnly.Path, NullLogger<FileImageStore>.Instance);
        var e = await Assert.ThrowsAsync<ImageStoreAccessException>(() => store.SaveAsync(new ImageKey("job", 0, 1), new byte[] { 1 }, default));
        Assert.Contains("Read-only file system", e.Message, StringComparison.Ordinal);

        var file = Path.Combine(_root, "a-file");
        await File.WriteAllTextAsync(file, "x");
        var underFile = new FileImageStore(file, NullLogger<FileImageStore>.Instance);
        e = await Assert.ThrowsAsync<ImageStoreAccessException>(() => underFile.SaveAsync(new ImageKey("job", 0, 1), new byte[] { 1 }, default));
        Assert.Contains("cannot create the image folder", e.Message, StringComparison.Ordinal);
        Assert.Equal("x", await File.ReadAllTextAsync(file));
    }
}
