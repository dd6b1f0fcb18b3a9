using System.Security.Cryptography;
using System.Text.Json;
using Sana.Inference.Imaging;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Cluster;

/// <summary>
/// Jobs of many prompts on three silos: each item's images are those a job of that prompt alone gives (pixel for
/// pixel), the images say
/// which item they belong to, and the manifest beside them lists every image once with its SHA-256.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ItemJobTests(ThreeSiloCluster fixture)
{
    private static readonly JobItem[] Items =
    [
        new() { Prompt = "a lighthouse at dusk", NegativePrompt = "blurry", Count = 5, Seed = 7 },
        new() { Prompt = "a red fox in the snow", Count = 1, Seed = ulong.MaxValue },
        new() { Prompt = "a boat on a lake", NegativePrompt = "fog", Count = 3, Seed = 1000 },
    ];

    private SanaCluster Sana => fixture.Sana;

    private static ImageJobRequest ItemsRequest() => JobTests.Request(1) with { Prompt = "", NegativePrompt = "", Items = Items };

    [Fact]
    public async Task Each_item_gives_the_images_of_its_prompt_alone_and_the_manifest_lists_every_image_once()
    {
        var (status, images) = await Sana.RunAsync("items", ItemsRequest());
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(9, status.Total);
        Assert.Equal(Enumerable.Range(0, 9), images.Select(i => i.Index));
        Assert.Equal([0, 0, 0, 0, 0, 1, 2, 2, 2], images.Select(i => i.Item));
        Assert.Equal([0, 1, 2, 3, 4, 0, 0, 1, 2], images.Select(i => i.IndexInItem));
        var stored = await Sana.ReadImagesAsync(images);

        for (var k = 0; k < Items.Length; k++)
        {
            var alone = JobTests.Request(Items[k].Count, Items[k].Seed) with { Prompt = Items[k].Prompt, NegativePrompt = Items[k].NegativePrompt };
            var (_, aloneImages) = await Sana.RunAsync($"item-{k}-alone", alone);
            var expected = await Sana.ReadImagesAsync(aloneImages);
            var mine = images.Where(i => i.Item == k).ToArray();
            Assert.Equal(aloneImages.Select(i => i.Seed), mine.Select(i => i.Seed));
            foreach (var (image, i) in mine.Select((m, i) => (m, i)))
            {
                // Pixel for pixel: the PNG's text differs only in the index it records (its place in this job).
                Assert.Equal(ImageEncoder.DecodeRgb(expected[i]).Rgb, ImageEncoder.DecodeRgb(stored[image.Index]).Rgb);
                var text = ImageEncoder.ReadPngText(stored[image.Index]);
                Assert.Equal(Items[k].Prompt, text["prompt"]);
                Assert.Equal(Items[k].NegativePrompt, text["negative_prompt"]);
                Assert.Equal(image.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), text["seed"]);
            }
        }

        var manifest = await ReadManifestAsync(Sana, "items");
        Assert.Equal(Enumerable.Range(0, 9), manifest.Select(m => m.GetProperty("job_index").GetInt32()));
        foreach (var (line, image) in manifest.Zip(images))
        {
            Assert.Equal(image.Item, line.GetProperty("item").GetInt32());
            Assert.Equal(image.IndexInItem, line.GetProperty("index").GetInt32());
            Assert.Equal(Items[image.Item].Prompt, line.GetProperty("prompt").GetString());
            Assert.Equal(image.Seed, line.GetProperty("seed").GetUInt64());
            Assert.Equal(image.ImageReference, line.GetProperty("image").GetString());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(stored[image.Index])), line.GetProperty("sha256").GetString());
        }

        // The same items again under the same id are the same job.
        Assert.Equal(JobState.Completed, (await Sana.Job("items").Submit(ItemsRequest())).State);
    }

    [Fact]
    public async Task Bad_items_are_refused_naming_the_item_and_field_with_nothing_stored()
    {
        (string Field, ImageJobRequest Request)[] bad =
        [
            ("items[1].prompt", ItemsRequest() with { Items = [Items[0], Items[1] with { Prompt = " " }] }),
            ("items[0].count", ItemsRequest() with { Items = [Items[0] with { Count = 0 }] }),
            ("items", ItemsRequest() with { Items = [] }),
            ("prompt", ItemsRequest() with { Prompt = "a prompt beside the items" }),
            ("items[2].negative_prompt", ItemsRequest() with { Items = [Items[0], Items[1], Items[2] with { NegativePrompt = new string('x', 20_001) }] }),
            ("width", ItemsRequest() with { Width = TestModel.Side + 1 }),
        ];
        foreach (var (field, request) in bad)
        {
            var jobId = "bad-items-" + field.Replace('[', '-').Replace(']', '-').Replace('.', '-');
            var e = await Assert.ThrowsAsync<JobRequestException>(() => Sana.Job(jobId).Submit(request));
            Assert.Equal(field, e.Field);
            Assert.StartsWith(field + ": ", e.Message, StringComparison.Ordinal);
            Assert.Equal(JobState.None, (await Sana.Job(jobId).GetStatus()).State);
            Assert.Equal(0, await Sana.CountStoredAsync(jobId));
        }
    }

    internal static async Task<JsonElement[]> ReadManifestAsync(StoredImagesCluster cluster, string jobId)
    {
        var bytes = await cluster.Store.ReadAsync($"{jobId}/manifest.jsonl", CancellationToken.None)
            ?? throw new InvalidOperationException($"job {jobId} has no manifest");
        return [.. System.Text.Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }
}
