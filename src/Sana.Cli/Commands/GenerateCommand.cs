using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sana.Inference.Imaging;
using Sana.Inference.Model;
using Sana.Inference.Onnx;
using Sana.Inference.Pipeline;

namespace Sana.Cli.Commands;

/// <summary>
/// `sana generate`: K images of one prompt, image i from seed S+i, written as PNGs with their metadata.
/// Bad arguments or a bad model folder give one line on stderr and exit code 2, and nothing is written.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var options = new GenerateOptions();
        var command = new Command("generate", "Generate images from a prompt.");
        options.AddTo(command);
        command.SetAction((parse, cancellationToken) => Task.Run(() => Run(options, parse, cancellationToken), cancellationToken));
        return command;
    }

    private static int Run(GenerateOptions options, ParseResult parse, CancellationToken cancellationToken)
    {
        GenerateRequest request;
        SanaPipeline pipeline;
        try
        {
            request = options.Read(parse);
            pipeline = SanaPipeline.Load(request.ModelPath ?? BundledModel.Path, new PipelineOptions { Device = request.Device });
        }
        catch (Exception e) when (e is GenerationRequestException or ModelFolderException or ExecutionDeviceException)
        {
            Console.Error.WriteLine($"sana generate: {e.Message}");
            return ExitCodes.BadInput;
        }

        using (pipeline)
        {
            var native = pipeline.Folder.Manifest.Transformer.SampleSize * pipeline.Model.PixelFactor;
            var settings = request.Settings with { Width = request.Width ?? native, Height = request.Height ?? native };
            try
            {
                GenerationLimits.Validate(settings, pipeline.Model);
            }
            catch (GenerationRequestException e)
            {
                Console.Error.WriteLine($"sana generate: {e.Message}");
                return ExitCodes.BadInput;
            }

            return Generate(pipeline, settings, request, cancellationToken);
        }
    }

    private static int Generate(SanaPipeline pipeline, GenerationSettings settings, GenerateRequest request, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(request.OutputFolder);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sana: {request.Count} image(s) {settings.Width}x{settings.Height}, {settings.Steps} steps, seed {request.Seed}, model {pipeline.Model.Name} on {pipeline.Model.Device}"));
        var clock = Stopwatch.StartNew();
        var done = 0;
        try
        {
            for (var start = 0; start < request.Count; start += request.BatchSize)
            {
                var seeds = Enumerable.Range(start, Math.Min(request.BatchSize, request.Count - start))
                    .Select(i => new ImageSeed(i, unchecked(request.Seed + (ulong)i)))
                    .ToArray();
                foreach (var image in pipeline.Generate(settings, seeds, request.BatchSize, progress: null, cancellationToken))
                {
                    var png = ImageEncoder.Encode(image, ImageMetadata.From(settings, image, pipeline.Model.Name));
                    var name = string.Create(CultureInfo.InvariantCulture, $"{image.Index:D6}-{image.Seed}.png");
                    AtomicFile.Write(Path.Combine(request.OutputFolder, name), png);
                    done++;
                }

                var rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{done}/{request.Count} images, {rate:F2} images/s   "));
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"\nsana generate: cancelled after {done} image(s)");
            return ExitCodes.Failure;
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nwrote {done} PNG(s) to {Path.GetFullPath(request.OutputFolder)} in {clock.Elapsed.TotalSeconds:F2} s"));
        return ExitCodes.Success;
    }
}
