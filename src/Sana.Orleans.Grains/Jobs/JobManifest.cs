using System.Text.Json;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// The manifest a finished job writes beside its images (JSON lines, in job order): for each image its item, its index
/// in the item and in the job, the item's prompt, the seed, where it is stored and its SHA-256. Written from the job's
/// stored state once every image is in, so it is complete whatever faults the job went through.
/// </summary>
internal static class JobManifest
{
    public static byte[] Write(JobItemLayout layout, IEnumerable<JobImage> images)
    {
        using var buffer = new MemoryStream();
        foreach (var image in images.OrderBy(i => i.Index))
        {
            var (item, indexInItem) = layout.Locate(image.Index);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("item", item);
                json.WriteNumber("index", indexInItem);
                json.WriteNumber("job_index", image.Index);
                json.WriteString("prompt", layout.PromptOf(item));
                json.WriteNumber("seed", image.Seed);
                json.WriteString("image", image.ImageReference);
                json.WriteString("sha256", image.Sha256);
                json.WriteEndObject();
            }

            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }
}
