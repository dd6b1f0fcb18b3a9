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
            ImageStoreKind.AzureBlob => new BlobImageStore(ContainerOf(options), loggers.CreateLogger<BlobImageStore>()),
            _ => new FileImageStore(options.Path, loggers.CreateLogger<FileImageStore>()),
        };
    }

    /// <summary>A connection string when given (Azurite, keys, SAS); otherwise the service URI with DefaultAzureCredential.</summary>
    public static BlobContainerClient ContainerOf(ImageStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var service = !string.IsNullOrWhiteSpace(options.ConnectionString)
            ? new BlobServiceClient(options.ConnectionString)
            : new BlobServiceClient(options.ServiceUri, new DefaultAzureCredential());
        return service.GetBlobContainerClient(options.ContainerName);
    }
}
