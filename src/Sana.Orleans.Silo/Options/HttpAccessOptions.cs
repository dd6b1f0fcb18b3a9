namespace Sana.Orleans.Silo.Options;

/// <summary>
/// Protection of the silo's HTTP surface (<c>Sana:Silo:HttpAccess</c>): an API key sent in <see cref="ApiKeyHeader"/>,
/// and/or HTTP basic authentication. Secrets come from configuration (environment, a secret store, command line),
/// are compared in constant time, and are never logged. Unset: no protection, which is only allowed on loopback.
/// </summary>
public sealed class HttpAccessOptions
{
    /// <summary>The key clients send in <see cref="ApiKeyHeader"/> (e.g. Prometheus' <c>authorization</c> or a header).</summary>
    public string? ApiKey { get; set; }

    public string ApiKeyHeader { get; set; } = "X-Sana-Api-Key";

    public string? BasicUser { get; set; }

    public string? BasicPassword { get; set; }

    /// <summary>Let /health answer without credentials (load balancer probes); it shows worker states, no secrets.</summary>
    public bool AnonymousHealth { get; set; }

    public bool IsProtected => !string.IsNullOrEmpty(ApiKey) || HasBasic;

    public bool HasBasic => !string.IsNullOrEmpty(BasicUser) && !string.IsNullOrEmpty(BasicPassword);

    internal IEnumerable<string> Problems(string prefix)
    {
        if (string.IsNullOrEmpty(BasicUser) != string.IsNullOrEmpty(BasicPassword))
        {
            yield return $"{prefix}BasicUser and {prefix}BasicPassword: set both or neither";
        }

        if (BasicUser?.Contains(':', StringComparison.Ordinal) == true)
        {
            yield return $"{prefix}BasicUser: must not contain ':'";
        }

        if (!string.IsNullOrEmpty(ApiKey) && ApiKey.Length < 16)
        {
            yield return $"{prefix}ApiKey: must be at least 16 characters (it is not shown here)";
        }

        if (string.IsNullOrWhiteSpace(ApiKeyHeader))
        {
            yield return $"{prefix}ApiKeyHeader: must name a header";
        }
    }
}
