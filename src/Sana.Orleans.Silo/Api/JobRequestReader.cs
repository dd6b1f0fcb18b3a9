using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sana.Orleans.Jobs;
using Sana.Storage;

namespace Sana.Orleans.Silo.Api;

/// <summary>
/// Reads <c>POST /api/jobs</c>'s body. Only the shape is checked here (JSON, an object, known fields of the right
/// types, each once); the values are the grains' to judge, so HTTP and .NET clients get the same rules and messages.
/// Every problem is a <see cref="JobRequestException"/> naming the field, or an <see cref="ApiException"/> (413, 415).
/// </summary>
internal static class JobRequestReader
{
    /// <summary>
    /// The largest body accepted: two prompts at the 20,000-character limit fit many times over even with every
    /// character \u-escaped, and a client cannot make the silo buffer more.
    /// </summary>
    public const int MaxBodyBytes = 1 << 20;

    /// <summary>The fields a body may hold, in the order the docs list them.</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "job_id", "prompt", "negative_prompt", "count", "width", "height", "steps", "guidance_scale", "pag_scale",
        "pag_layers", "scheduler", "flow_shift", "seed", "model", "items",
    ];

    /// <summary>The fields of one item of <c>items</c>, a job of many prompts.</summary>
    public static readonly IReadOnlyList<string> ItemFields = ["prompt", "negative_prompt", "count", "seed"];

    public static async Task<JobSubmission> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasJsonContentType())
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, "request",
                $"request: the body must be JSON (Content-Type: application/json), not '{request.ContentType}'");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            throw TooLarge(request.ContentLength.Value);
        }

        var body = await ReadBoundedAsync(request.Body, cancellationToken).ConfigureAwait(false);
        return Parse(body);
    }

    /// <summary>Reads at most <see cref="MaxBodyBytes"/>, so a chunked body without a length cannot grow past it either.</summary>
    private static async Task<byte[]> ReadBoundedAsync(Stream body, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (content.Length + read > MaxBodyBytes)
                {
                    throw TooLarge(null);
                }

                content.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return content.ToArray();
    }

    private static ApiException TooLarge(long? length) =>
        new(StatusCodes.Status413PayloadTooLarge, "request", string.Create(CultureInfo.InvariantCulture,
            $"request: the body is {(length is { } l ? $"{l} bytes, " : "")}more than the limit of {MaxBodyBytes} bytes"));

    /// <summary>Parses a whole body; a JSON syntax error names the field whose value it is in ("request" between fields).</summary>
    public static JobSubmission Parse(ReadOnlySpan<byte> json)
    {
        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new JobRequestException("request", "is missing");
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4 });
        var submission = new JobSubmission();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var field = "request";
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JobRequestException("request", $"must be a JSON object, not {Describe(reader.TokenType)}");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                field = Shortened(reader.GetString()!);
                if (!seen.Add(field))
                {
                    throw new JobRequestException(field, "is given twice");
                }

                reader.Read();
                submission = ReadField(submission, field, ref reader);
                field = "request";
            }

            // Anything after the object (a second value) is a syntax error the reader reports here.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new JobRequestException(field, $"invalid JSON: {e.Message}");
        }
        catch (InvalidOperationException)
        {
            // GetString on a value that is not text (a seed given as a string with a lone surrogate).
            throw new JobRequestException(field, "is not valid UTF-8 text");
        }

        return submission;
    }

    private static JobSubmission ReadField(JobSubmission s, string field, ref Utf8JsonReader reader) => field switch
    {
        "job_id" => s with { JobId = Text(ref reader, field) },
        "prompt" => s with { Prompt = Text(ref reader, field) },
        "negative_prompt" => s with { NegativePrompt = Text(ref reader, field) },
        "count" => s with { Count = Whole(ref reader, field) },
        "width" => s with { Width = Whole(ref reader, field) },
        "height" => s with { Height = Whole(ref reader, field) },
        "steps" => s with { Steps = Whole(ref reader, field) },
        "guidance_scale" => s with { GuidanceScale = Number(ref reader, field) },
        "pag_scale" => s with { PagScale = Number(ref reader, field) },
        "pag_layers" => s with { PagLayers = Layers(ref reader, field) },
        "scheduler" => s with { Sampler = Scheduler(Text(ref reader, field)) },
        "flow_shift" => s with { FlowShift = Number(ref reader, field) },
        "seed" => s with { Seed = Seed(ref reader, field) },
        "model" => s with { Model = Text(ref reader, field) },
        "items" => s with { Items = Items(ref reader, field) },
        _ => throw new JobRequestException(field, $"is not a field of a job request (the fields: {string.Join(", ", Fields)})"),
    };

    /// <summary>A field's name as an answer (and the log) repeats it: no known one is long, an unknown one may be as long as the body.</summary>
    private static string Shortened(string name) => name.Length <= 64 ? name : name[..64] + "...";

    private static string? Text(ref Utf8JsonReader reader, string field) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => StringOf(ref reader, field),
        var other => throw WrongType(field, "a string", other),
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// A string value. GetString refuses a lone surrogate (<c>"\ud800"</c>); that one is decoded here so the grains can
    /// say where it is, exactly as they tell a .NET client. Bytes that are not UTF-8 are refused, naming the field.
    /// </summary>
    private static string StringOf(ref Utf8JsonReader reader, string field)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Unescape(reader.ValueSpan, field);
        }
    }

    /// <summary>JSON string escapes undone by hand (the reader has already checked their syntax).</summary>
    private static string Unescape(ReadOnlySpan<byte> raw, string field)
    {
        var text = new StringBuilder(raw.Length);
        try
        {
            while (!raw.IsEmpty)
            {
                var slash = raw.IndexOf((byte)'\\');
                text.Append(StrictUtf8.GetString(slash < 0 ? raw : raw[..slash]));
                if (slash < 0)
                {
                    break;
                }

                var escape = raw[slash + 1];
                if (escape == (byte)'u')
                {
                    text.Append((char)ushort.Parse(raw.Slice(slash + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    raw = raw[(slash + 6)..];
                    continue;
                }

                text.Append(escape switch { (byte)'b' => '\b', (byte)'f' => '\f', (byte)'n' => '\n', (byte)'r' => '\r', (byte)'t' => '\t', _ => (char)escape });
                raw = raw[(slash + 2)..];
            }
        }
        catch (DecoderFallbackException)
        {
            throw new JobRequestException(field, "is not valid UTF-8 text");
        }

        return text.ToString();
    }

    private static int? Whole(ref Utf8JsonReader reader, string field) =>
        reader.TokenType == JsonTokenType.Null ? null : WholeValue(ref reader, field, "");

    /// <summary>A 32-bit whole number; 4.0 counts as 4, since some JSON writers (Python's) write whole floats so.</summary>
    private static int WholeValue(ref Utf8JsonReader reader, string field, string item)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new JobRequestException(field, $"{item}must be a whole number, not {Describe(reader.TokenType)}");
        }

        if (reader.TryGetInt32(out var value))
        {
            return value;
        }

        if (reader.TryGetDouble(out var d) && double.IsFinite(d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
        {
            return (int)d;
        }

        throw new JobRequestException(field, $"{item}{Raw(ref reader)} is not a whole number in {int.MinValue}..{int.MaxValue}");
    }

    private static double? Number(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(field, "a number", reader.TokenType);
        }

        return reader.TryGetDouble(out var value) && double.IsFinite(value)
            ? value
            : throw new JobRequestException(field, $"{Raw(ref reader)} is not a finite number");
    }

    private static int[]? Layers(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw WrongType(field, "a list of whole numbers", reader.TokenType);
        }

        var layers = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            layers.Add(WholeValue(ref reader, field, string.Create(CultureInfo.InvariantCulture, $"item {layers.Count}: ")));
        }

        return [.. layers];
    }

    /// <summary>
    /// <c>items</c>: a list of objects, each a prompt with its own negative prompt, count and seed; a problem names the
    /// item and its field (<c>items[3].count</c>), as the grains do.
    /// </summary>
    private static JobItem[]? Items(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw WrongType(field, "a list of items (objects with prompt, negative_prompt, count, seed)", reader.TokenType);
        }

        var items = new List<JobItem>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{field}[{items.Count}]");
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw WrongType(at, "an object", reader.TokenType);
            }

            var item = new JobItem { Prompt = "" };
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = Shortened(reader.GetString()!);
                var inner = $"{at}.{name}";
                if (!seen.Add(name))
                {
                    throw new JobRequestException(inner, "is given twice");
                }

                reader.Read();
                item = name switch
                {
                    "prompt" => item with { Prompt = Text(ref reader, inner) ?? "" },
                    "negative_prompt" => item with { NegativePrompt = Text(ref reader, inner) ?? "" },
                    "count" => item with { Count = Whole(ref reader, inner) ?? 1 },
                    "seed" => item with { Seed = Seed(ref reader, inner) ?? 0 },
                    _ => throw new JobRequestException(inner, $"is not a field of an item (the fields: {string.Join(", ", ItemFields)})"),
                };
            }

            items.Add(item);
        }

        return [.. items];
    }

    /// <summary>The CLI's spellings (--scheduler), so the two read the same; the grains know only the two samplers.</summary>
    private static JobSampler? Scheduler(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "dpm" or "dpm++" or "dpmsolver" => JobSampler.DpmSolver,
        "euler" => JobSampler.Euler,
        _ => throw new JobRequestException("scheduler", $"'{value}' is not dpm or euler"),
    };

    /// <summary>A 64-bit seed, as a number or as a string of digits (JavaScript's numbers lose precision past 2^53).</summary>
    private static ulong? Seed(ref Utf8JsonReader reader, string field)
    {
        const string Range = "a whole number in 0..18446744073709551615 (a number, or a string of digits)";
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number when reader.TryGetUInt64(out var number):
                return number;
            case JsonTokenType.String when ulong.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            case JsonTokenType.Number or JsonTokenType.String:
                throw new JobRequestException(field, $"{Raw(ref reader)} is not {Range}");
            default:
                throw WrongType(field, Range, reader.TokenType);
        }
    }

    private static JobRequestException WrongType(string field, string expected, JsonTokenType found) =>
        new(field, $"must be {expected}, not {Describe(found)}");

    /// <summary>A value as it was written, cut short: echoing a megabyte of digits back helps nobody.</summary>
    private static string Raw(ref Utf8JsonReader reader)
    {
        var text = reader.TokenType == JsonTokenType.String ? $"'{reader.GetString()}'" : System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
        return text.Length <= 40 ? text : text[..40] + "...";
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a list",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "true/false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>
    /// The grains' message for a job id they cannot take: the in-silo client makes a fresh id for an empty or blank one
    /// instead of passing it on, so the API says it here in the same words (the rule is <see cref="ImageKey.ValidateJobId"/>'s).
    /// </summary>
    public static JobRequestException BadJobId(string jobId) =>
        new("job_id", string.Create(CultureInfo.InvariantCulture,
            $"'{jobId}' must be 1..{ImageKey.MaxJobIdLength} characters of A-Z, a-z, 0-9, '-', '_', '.' (not starting with '.')"));
}
