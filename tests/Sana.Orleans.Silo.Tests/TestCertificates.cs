using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sana.Orleans.Silo.Tests;

/// <summary>Self-signed certificates made by the test, written as a PFX (with password) and a PEM of the public part.</summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates(string subject = "CN=sana-test-cluster")
    {
        Folder = Directory.CreateTempSubdirectory("sana-tls-").FullName;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client auth
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        Password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        PfxPath = Path.Combine(Folder, "node.pfx");
        File.WriteAllBytes(PfxPath, certificate.Export(X509ContentType.Pkcs12, Password));
        CaPath = Path.Combine(Folder, "ca.pem");
        File.WriteAllText(CaPath, certificate.ExportCertificatePem());
    }

    public string Folder { get; }

    public string PfxPath { get; }

    public string Password { get; }

    public string CaPath { get; }

    public Dictionary<string, string> Settings() => new()
    {
        ["Sana:Tls:Enabled"] = "true",
        ["Sana:Tls:CertificatePath"] = PfxPath,
        ["Sana:Tls:CertificatePassword"] = Password,
        ["Sana:Tls:TrustedCaPath"] = CaPath,
    };

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
