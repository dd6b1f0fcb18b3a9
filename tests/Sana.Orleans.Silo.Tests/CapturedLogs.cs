using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// A logger provider that keeps every entry (all levels) with its message, state values and scope values, so tests can
/// check what a silo logs: that lines carry JobId/GpuId/ImageIndex, and that no secret appears anywhere.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>Everything logged, as one text: messages, exceptions, state and scope values.</summary>
    public string AllText() => string.Join("\n", Entries.Select(e => e.ToString()));

    public sealed record Entry(string Category, LogLevel Level, string Message, string? Exception, IReadOnlyDictionary<string, string> Values)
    {
        public override string ToString() =>
            $"{Level} {Category}: {Message} {Exception} {string.Join(' ', Values.Select(kv => $"{kv.Key}={kv.Value}"))}";
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            Add(values, state);
            owner._scopes.ForEachScope((scope, into) => Add(into, scope), values);
            owner.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception?.ToString(), values));
        }

        private static void Add(Dictionary<string, string> into, object? state)
        {
            if (state is IEnumerable<KeyValuePair<string, object>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    into.TryAdd(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                }
            }
            else if (state is not null)
            {
                into.TryAdd("Scope:" + into.Count, state.ToString() ?? "");
            }
        }
    }
}
