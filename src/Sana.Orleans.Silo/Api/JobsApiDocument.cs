using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Api;

/// <summary>
/// What the generated OpenAPI document adds to the routes: its title, and, on a protected silo, the API key and/or basic
/// authentication it demands (<see cref="HttpAccessOptions"/>), so generated clients send them. The secrets never appear.
/// </summary>
internal static class JobsApiDocument
{
    public static void Describe(OpenApiDocument document, HttpAccessOptions access)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Sana silo job API",
            Version = JobsApi.DocumentName,
            Description = "Bulk image generation on a Sana cluster for services that are not .NET: the same requests, validation, "
                + "errors and idempotent job ids as the .NET ISanaClient. Errors are {\"field\", \"error\"}.",
        };
        if (!access.IsProtected)
        {
            return;
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Security ??= [];
        if (!string.IsNullOrEmpty(access.ApiKey))
        {
            Add(document, "apiKey", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = access.ApiKeyHeader,
                Description = "The silo's API key (Sana:Silo:HttpAccess:ApiKey).",
            });
        }

        if (access.HasBasic)
        {
            Add(document, "basic", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "basic",
                Description = "Sana:Silo:HttpAccess:BasicUser and BasicPassword.",
            });
        }
    }

    /// <summary>
    /// The submit route's body, <see cref="ApiJobRequest"/> as JSON. Described here rather than with <c>Accepts</c>:
    /// that metadata makes routing answer a wrong Content-Type with a bare 415 before the handler can say why in an
    /// <see cref="ApiError"/>.
    /// </summary>
    public static async Task DescribeSubmitBody(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(typeof(ApiJobRequest), null, cancellationToken).ConfigureAwait(false);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The job: ImageJobRequest's fields in snake_case, and job_id. Unknown fields are refused.",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { ["application/json"] = new() { Schema = schema } },
        };
    }

    /// <summary>
    /// The generator reads numbers' handling from the host's JSON options (web defaults: numbers may come as strings) for
    /// nullable numbers even where the property says Strict, as the request's optional fields do; the document follows
    /// the property, since the API refuses "4" for a count (the seed, which does take strings, keeps them).
    /// </summary>
    public static Task HonourStrictNumbers(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        const JsonSchemaType Numeric = JsonSchemaType.Integer | JsonSchemaType.Number;
        if (context.JsonPropertyInfo?.NumberHandling == JsonNumberHandling.Strict && schema.Type is { } type
            && (type & Numeric) != 0 && (type & JsonSchemaType.String) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        return Task.CompletedTask;
    }

    /// <summary>Each scheme is a requirement of its own: either one lets a request in, as the access check does.</summary>
    private static void Add(OpenApiDocument document, string name, OpenApiSecurityScheme scheme)
    {
        document.Components!.SecuritySchemes![name] = scheme;
        document.Security!.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(name, document)] = [] });
    }
}
