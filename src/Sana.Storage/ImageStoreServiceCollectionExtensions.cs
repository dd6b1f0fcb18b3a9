using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sana.Storage;

/// <summary>Registers the configured <see cref="IImageStore"/>, so hosts choose folder or blob storage by configuration alone.</summary>
public static class ImageStoreServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ImageStoreOptions"/> from the <c>Sana:ImageStore</c> section of <paramref name="configuration"/>
    /// (the root configuration), validates it when the host starts, and registers the chosen store as a singleton.
    /// </summary>
    public static IServiceCollection AddSanaImageStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ImageStoreOptions>().Bind(configuration.GetSection(ImageStoreOptions.SectionName));
        return services.AddSanaImageStoreCore();
    }

    /// <summary>As <see cref="AddSanaImageStore(IServiceCollection, IConfiguration)"/>, configured in code (tests, the CLI).</summary>
    public static IServiceCollection AddSanaImageStore(this IServiceCollection services, Action<ImageStoreOptions> configure)
    {
        services.AddOptions<ImageStoreOptions>().Configure(configure);
        return services.AddSanaImageStoreCore();
    }

    private static IServiceCollection AddSanaImageStoreCore(this IServiceCollection services)
    {
        services.AddOptions<ImageStoreOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ImageStoreOptions>, ImageStoreOptionsValidator>());
        services.TryAddSingleton(Create);
        return services;
    }

    private static IImageStore Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ImageStoreOptions>>().Value;
        var loggers = services.GetRequiredService<ILoggerFactory>();
        return options.Kind switch
        {
            ImageStoreKind.AzureBlob => new BlobImageStore(ContainerOf(options), loggers.CreateLogger<BlobImageStore>(), CanCreateContainer(options)),
            _ => new FileImageStore(options.Path, loggers.CreateLogger<FileImageStore>()),
        };
    }

    /// <summary>
    /// The container the options name: <see cref="ImageStoreOptions.ContainerUri"/> (its SAS split off into a
    /// credential, so the client's URI holds none; DefaultAzureCredential when it has none), else a connection string
    /// (Azurite, keys, SAS), else the service URI with DefaultAzureCredential, plus <see cref="ImageStoreOptions.ContainerName"/>.
    /// </summary>
    public static BlobContainerClient ContainerOf(ImageStoreOptions options, BlobClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ContainerUri is { } containerUri)
        {
            var (bare, sas) = BlobUris.SplitSas(containerUri);
            return sas is not null
                ? new BlobContainerClient(bare, sas, clientOptions)
                : new BlobContainerClient(bare, new DefaultAzureCredential(), clientOptions);
        }

        var service = !string.IsNullOrWhiteSpace(options.ConnectionString)
            ? new BlobServiceClient(options.ConnectionString, clientOptions)
            : new BlobServiceClient(options.ServiceUri, new DefaultAzureCredential(), clientOptions);
        return service.GetBlobContainerClient(options.ContainerName);
    }

    /// <summary>A container SAS cannot create its container: with one, the store expects it to exist and says so when not.</summary>
    public static bool CanCreateContainer(ImageStoreOptions options) =>
        options?.ContainerUri is not { } uri || BlobUris.SplitSas(uri).Sas is null;
}
