using System.Globalization;
using System.Text;
using System.Text.Json;
using Sana.Orleans.Jobs;

namespace Sana.Cli.Commands;

/// <summary>
/// `--prompts FILE`: the items of a job of many prompts, one a line, as JSON lines (`{"prompt": ..., "negative_prompt":
/// ..., "count": ..., "seed": ...}`) or CSV with a header naming those columns (prompt required). An item without a
/// count takes --count; without a seed it continues the job's seeds (the job's seed plus the images before it), so a
/// plain list gives the images a single-prompt job of all of them would. A bad line stops everything, named by its
/// number and field.
/// </summary>
internal sealed class PromptFile
{
    private static readonly string[] Columns = ["prompt", "negative_prompt", "count", "seed"];

    private PromptFile(JobItem[] items, int[] lines)
    {
        Items = items;
        Lines = lines;
    }

    public JobItem[] Items { get; }

    /// <summary>The file's line number of each item, for errors the cluster names by item.</summary>
    public IReadOnlyList<int> Lines { get; }

    public static PromptFile Read(string path, int defaultCount, string defaultNegative, ulong firstSeed, int maxCount)
    {
        string[] text;
        try
        {
            text = File.ReadAllLines(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new CommandLineException("--prompts", $"cannot read '{path}': {e.Message}");
        }

        var json = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            || text.FirstOrDefault(l => l.Trim().Length > 0)?.TrimStart().StartsWith('{') == true;
        var rows = json ? JsonRows(text) : CsvRows(text);
        var items = new List<JobItem>();
        var lines = new List<int>();
        var nextSeed = firstSeed;
        foreach (var (line, fields) in rows)
        {
            var item = ToItem(line, fields, defaultCount, defaultNegative, nextSeed, maxCount);
            nextSeed = unchecked(item.Seed + (ulong)item.Count);
            items.Add(item);
            lines.Add(line);
        }

        return items.Count == 0
            ? throw new CommandLineException("--prompts", $"'{path}' holds no prompt")
            : new PromptFile([.. items], [.. lines]);
    }

    private static JobItem ToItem(int line, Dictionary<string, string> fields, int defaultCount, string defaultNegative, ulong nextSeed, int maxCount)
    {
        if (!fields.TryGetValue("prompt", out var prompt) || string.IsNullOrWhiteSpace(prompt))
        {
            throw Bad(line, "prompt", "is empty");
        }

        var count = defaultCount;
        if (fields.TryGetValue("count", out var countText) && countText.Length > 0
            && (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > maxCount))
        {
            throw Bad(line, "count", $"'{countText}' is not a whole number in 1..{maxCount}");
        }

        var seed = nextSeed;
        if (fields.TryGetValue("seed", out var seedText) && seedText.Length > 0
            && !ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
        {
            throw Bad(line, "seed", $"'{seedText}' is not a whole number in 0..{ulong.MaxValue}");
        }

        return new JobItem { Prompt = prompt, NegativePrompt = fields.GetValueOrDefault("negative_prompt", defaultNegative), Count = count, Seed = seed };
    }

    private static IEnumerable<(int Line, Dictionary<string, string> Fields)> JsonRows(string[] text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i].Trim().Length == 0)
            {
                continue;
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            try
            {
                using var doc = JsonDocument.Parse(text[i]);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw Bad(i + 1, "line", "is not a JSON object");
                }

                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (!Columns.Contains(property.Name))
                    {
                        throw Bad(i + 1, property.Name, $"is not a field of a prompt line (fields: {string.Join(", ", Columns)})");
                    }

                    fields[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString()!,
                        JsonValueKind.Number => property.Value.GetRawText(),
                        _ => throw Bad(i + 1, property.Name, $"is {property.Value.ValueKind.ToString().ToLowerInvariant()}, not text or a number"),
                    };
                }
            }
            catch (JsonException e)
            {
                throw Bad(i + 1, "line", $"is not JSON ({e.Message.Split(". ")[0]})");
            }

            yield return (i + 1, fields);
        }
    }

    private static IEnumerable<(int Line, Dictionary<string, string> Fields)> CsvRows(string[] text)
    {
        var headerLine = Array.FindIndex(text, l => l.Trim().Length > 0);
        if (headerLine < 0)
        {
            yield break;
        }

        var header = SplitCsv(text[headerLine], headerLine + 1).Select(h => h.Trim().ToLowerInvariant()).ToArray();
        if (header.FirstOrDefault(h => !Columns.Contains(h)) is { } unknown)
        {
            throw Bad(headerLine + 1, unknown, $"is not a column of a prompt file (columns: {string.Join(", ", Columns)})");
        }

        if (!header.Contains("prompt"))
        {
            throw Bad(headerLine + 1, "header", "has no prompt column (the first line names the columns: prompt[,negative_prompt,count,seed])");
        }

        for (var i = headerLine + 1; i < text.Length; i++)
        {
            if (text[i].Trim().Length == 0)
            {
                continue;
            }

            var values = SplitCsv(text[i], i + 1);
            if (values.Count != header.Length)
            {
                throw Bad(i + 1, "line", $"has {values.Count} values for {header.Length} columns");
            }

            yield return (i + 1, header.Zip(values).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal));
        }
    }

    /// <summary>One CSV line: commas separate, double quotes enclose a value with commas or quotes ("" is one quote).</summary>
    private static List<string> SplitCsv(string line, int number)
    {
        var values = new List<string>();
        var value = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    value.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    value.Append(c);
                }
            }
            else if (c == '"' && value.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                values.Add(value.ToString());
                value.Clear();
            }
            else
            {
                value.Append(c);
            }
        }

        if (quoted)
        {
            throw Bad(number, "line", "has a quote that is not closed (a value stays on its line)");
        }

        values.Add(value.ToString());
        return values;
    }

    private static CommandLineException Bad(int line, string field, string problem) =>
        new("--prompts", string.Create(CultureInfo.InvariantCulture, $"line {line}: {field}: {problem}"));
}
