using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Web;

/// <summary>
/// Guards the whole HTTP surface of a silo (dashboard, metrics, GPU page, health) when <see cref="HttpAccessOptions"/>
/// configures protection: a request passes with the API key in its header or with the basic-auth user and password,
/// compared in constant time; anything else gets 401. Without protection (loopback only, by validation) all pass.
/// </summary>
public sealed class HttpAccessMiddleware(RequestDelegate next, IOptions<SanaSiloOptions> silo)
{
    private readonly HttpAccessOptions _access = silo.Value.HttpAccess;

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_access.IsProtected
            || (_access.AnonymousHealth && context.Request.Path.Equals("/health", StringComparison.OrdinalIgnoreCase))
            || Allowed(context.Request))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (_access.HasBasic)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"sana-silo\", charset=\"UTF-8\"";
        }

        return Task.CompletedTask;
    }

    private bool Allowed(HttpRequest request)
    {
        if (!string.IsNullOrEmpty(_access.ApiKey) && request.Headers.TryGetValue(_access.ApiKeyHeader, out var key)
            && SameSecret(key.ToString(), _access.ApiKey))
        {
            return true;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (_access.HasBasic && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                return colon > 0
                    & SameSecret(pair[..colon], _access.BasicUser!)
                    & SameSecret(pair[(colon + 1)..], _access.BasicPassword!);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        return false;
    }

    private static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
