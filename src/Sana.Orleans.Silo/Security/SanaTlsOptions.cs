using System.Security.Cryptography.X509Certificates;

namespace Sana.Orleans.Silo.Security;

/// <summary>
/// TLS for silo-to-silo and client-to-silo traffic (<c>Sana:Tls</c>). Off by default. On: every connection is TLS
/// 1.2/1.3 with mutual authentication: each side shows its certificate (from a PFX file + password, or from a
/// certificate store by thumbprint or subject), and accepts the other's only if it chains to
/// <see cref="TrustedCaPath"/> (a private CA, or a self-signed certificate itself) or, without one, to the
/// system's trusted roots. Peers are addressed by IP, so the host name is not checked; the CA is the trust.
/// The password comes from configuration (environment, Key Vault) and is never logged.
/// </summary>
public sealed class SanaTlsOptions
{
    public const string SectionName = "Sana:Tls";

    public bool Enabled { get; set; }

    /// <summary>A PFX/PKCS#12 file with this node's certificate and private key.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>Instead of a file: the certificate's thumbprint in <see cref="StoreName"/>/<see cref="StoreLocation"/>.</summary>
    public string? Thumbprint { get; set; }

    /// <summary>Instead of a file or thumbprint: the certificate's subject name in the store.</summary>
    public string? Subject { get; set; }

    public StoreName StoreName { get; set; } = StoreName.My;

    public StoreLocation StoreLocation { get; set; } = StoreLocation.CurrentUser;

    /// <summary>PEM or DER file of the CA (or self-signed certificate) peers' certificates must chain to.</summary>
    public string? TrustedCaPath { get; set; }

    /// <summary>Check revocation lists of peers' certificates (needs network access to the CA's CRL endpoints).</summary>
    public bool CheckRevocation { get; set; }

    /// <summary>How long a TLS handshake may take.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal IEnumerable<string> Problems()
    {
        const string P = SectionName + ":";
        if (!Enabled)
        {
            yield break;
        }

        var sources = new[] { CertificatePath, Thumbprint, Subject }.Count(s => !string.IsNullOrWhiteSpace(s));
        if (sources != 1)
        {
            yield return $"{P}CertificatePath, {P}Thumbprint, {P}Subject: set exactly one to say where this node's certificate is";
        }

        if (!string.IsNullOrWhiteSpace(CertificatePath) && !File.Exists(CertificatePath))
        {
            yield return $"{P}CertificatePath: '{CertificatePath}' does not exist";
        }

        if (!string.IsNullOrWhiteSpace(TrustedCaPath) && !File.Exists(TrustedCaPath))
        {
            yield return $"{P}TrustedCaPath: '{TrustedCaPath}' does not exist";
        }

        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            yield return $"{P}HandshakeTimeout: must be positive";
        }
    }
}
