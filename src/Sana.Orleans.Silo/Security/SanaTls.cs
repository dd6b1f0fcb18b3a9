using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.Connections.Security;

namespace Sana.Orleans.Silo.Security;

/// <summary>
/// Turns <see cref="SanaTlsOptions"/> into Orleans' TLS connection middleware on a silo (silo-to-silo and gateway) or
/// on a client (client-to-gateway). Both sides require and check the other's certificate (mutual TLS), so a client
/// or silo without TLS, or with a certificate from another CA, cannot connect.
/// </summary>
public static class SanaTls
{
    /// <summary>Reads and checks <c>Sana:Tls</c>; throws <see cref="OptionsValidationException"/> naming each bad key.</summary>
    public static SanaTlsOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new SanaTlsOptions();
        configuration.GetSection(SanaTlsOptions.SectionName).Bind(options);
        var problems = options.Problems().ToList();
        return problems.Count > 0
            ? throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(SanaTlsOptions), problems)
            : options;
    }

    /// <summary>TLS on every silo connection when <see cref="SanaTlsOptions.Enabled"/>; nothing otherwise.</summary>
    public static ISiloBuilder UseSanaTls(this ISiloBuilder silo, SanaTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled ? silo.UseTls(LoadCertificate(options), tls => Configure(tls, options)) : silo;
    }

    /// <summary>TLS on the client's gateway connections when <see cref="SanaTlsOptions.Enabled"/>; nothing otherwise.</summary>
    public static IClientBuilder UseSanaTls(this IClientBuilder client, SanaTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled ? client.UseTls(LoadCertificate(options), tls => Configure(tls, options)) : client;
    }

    public static X509Certificate2 LoadCertificate(SanaTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        }

        using var store = new X509Store(options.StoreName, options.StoreLocation);
        store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
        var found = !string.IsNullOrWhiteSpace(options.Thumbprint)
            ? store.Certificates.Find(X509FindType.FindByThumbprint, options.Thumbprint, validOnly: false)
            : store.Certificates.Find(X509FindType.FindBySubjectName, options.Subject!, validOnly: false);
        return found.Where(c => c.HasPrivateKey).OrderByDescending(c => c.NotAfter).FirstOrDefault()
            ?? throw new InvalidOperationException(
                $"{SanaTlsOptions.SectionName}: no certificate with a private key for '{options.Thumbprint ?? options.Subject}' in {options.StoreLocation}/{options.StoreName}");
    }

    private static void Configure(TlsOptions tls, SanaTlsOptions options)
    {
        var ca = string.IsNullOrWhiteSpace(options.TrustedCaPath) ? null : X509CertificateLoader.LoadCertificateFromFile(options.TrustedCaPath);
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.HandshakeTimeout = options.HandshakeTimeout;
        tls.CheckCertificateRevocation = options.CheckRevocation;
        tls.RemoteCertificateValidation = (certificate, _, errors) => IsTrusted(certificate, errors, ca, options.CheckRevocation);
    }

    /// <summary>The peer's certificate chains to <paramref name="ca"/> (or, without one, to a system root); names are not checked.</summary>
    public static bool IsTrusted(X509Certificate2 certificate, SslPolicyErrors errors, X509Certificate2? ca, bool checkRevocation)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = checkRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        if (ca is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
        }

        return chain.Build(certificate);
    }
}
