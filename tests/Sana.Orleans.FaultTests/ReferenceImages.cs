using System.Collections.Concurrent;
using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.IntegrationTests;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.FaultTests;

/// <summary>
/// The files a fault-free run stores for a request: the same pipeline and PNG encoder the workers use, run here one
/// image at a time (an image depends only on model, settings and seed, never on batch, GPU or silo).
/// </summary>
public static class ReferenceImages
{
    private static readonly ConcurrentDictionary<string, byte[][]> Cache = new();

    public static byte[][] For(ImageJobRequest request) => Cache.GetOrAdd(System.Text.Json.JsonSerializer.Serialize(request), _ => Make(request));

    private static byte[][] Make(ImageJobRequest request)
    {
        var settings = request.ToSettings();
        using var pipeline = SanaPipeline.Load(Repository.TinyModel, new PipelineOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = 1 });
        var encoder = new PngImageFileEncoder();
        var seeds = Enumerable.Range(0, request.Count).Select(i => new ImageSeed(i, request.SeedOf(i))).ToArray();
        return [.. pipeline.Generate(settings, seeds, 1, null, CancellationToken.None).Select(image => encoder.Encode(image, settings, pipeline.Model.Name))];
    }
}
