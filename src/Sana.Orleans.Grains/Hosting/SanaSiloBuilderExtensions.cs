using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Sana.Orleans.Grains.Roster;
using Sana.Orleans.Grains.Placement;
using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains;

/// <summary>Wires the Sana grains into a silo.</summary>
public static class SanaSiloBuilderExtensions
{
    /// <summary>
    /// Adds GPU placement, the registration of this silo's GPUs with the directory, job storage and reminders (in
    /// memory unless turned off), and defaults for the pipeline factory (<see cref="SanaPipelineFactory"/>) and image
    /// encoder (PNG). The host must register an <c>IImageStore</c> and, for a silo with devices, an
    /// <see cref="IGpuInventory"/> (without one the silo hosts jobs and the directory but no GPU).
    /// </summary>
    public static ISiloBuilder AddSanaGrains(this ISiloBuilder builder, Action<SanaGrainsOptions>? configure = null)
    {
        var options = new SanaGrainsOptions();
        configure?.Invoke(options);
        return builder.AddSanaGrains(options);
    }

    /// <summary>
    /// The same with the options made already (bound from configuration once): they decide the storage and reminder
    /// providers here, and the grains read the same values through <c>IOptions&lt;SanaGrainsOptions&gt;</c>.
    /// </summary>
    public static ISiloBuilder AddSanaGrains(this ISiloBuilder builder, SanaGrainsOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.UseInMemoryJobStorage)
        {
            builder.AddMemoryGrainStorage(options.JobStorageName);
        }

        if (options.UseInMemoryReminders)
        {
            builder.UseInMemoryReminderService();
        }

        builder.Services.AddOptions<SanaGrainsOptions>()
            .Configure(options.CopyTo)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SanaGrainsOptions>, SanaGrainsOptionsValidator>();
        UseDirectoryThatSurvivesSiloLoss(builder);
        builder.Services.AddPlacementDirector<GpuPlacement, GpuPlacementDirector>();
        builder.Services.TryAddSingleton<IGpuInventory>(new StaticGpuInventory([]));
        builder.Services.TryAddSingleton<IImagePipelineFactory, SanaPipelineFactory>();
        builder.Services.TryAddSingleton<IImageFileEncoder, PngImageFileEncoder>();
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<IChunkFaultGate>(sp => sp.GetRequiredService<IOptions<SanaGrainsOptions>>().Value.FaultGateDirectory is { Length: > 0 } folder
            ? new FileChunkFaultGate(folder)
            : NoChunkFaultGate.Off);
        builder.Services.TryAddSingleton<LocalGpuLoads>();
        builder.Services.TryAddSingleton<SanaMetrics>();
        builder.Services.TryAddSingleton<IDeviceMemoryProbe, ProcessMemoryProbe>();
        builder.Services.TryAddSingleton<WorkerDrain>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, WorkerDrainService>();
        builder.Services.AddSingleton<GpuRegistrationService>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<GpuRegistrationService>());
        return builder;
    }

    /// <summary>
    /// Orleans' default grain directory keeps each grain's registration on one silo only; when that silo dies, every
    /// activation registered there is deactivated on the silos that survive, so killing one silo of two would also
    /// reset a job grain, the GPU directory (empty again) and a GPU worker mid-chunk (its model reloaded) on the
    /// survivor. The distributed directory recovers those registrations from the living activations instead. Every
    /// silo of a cluster must use the same directory, which is why it is chosen here and not by the host.
    /// </summary>
    private static void UseDirectoryThatSurvivesSiloLoss(ISiloBuilder builder)
    {
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10; it is the directory built to fix the above
        builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
    }

    private sealed class SanaGrainsOptionsValidator : IValidateOptions<SanaGrainsOptions>
    {
        public ValidateOptionsResult Validate(string? name, SanaGrainsOptions options)
        {
            var problems = options.Problems().ToArray();
            return problems.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
