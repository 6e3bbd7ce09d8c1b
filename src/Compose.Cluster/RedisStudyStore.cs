using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Compose.Language;
using Compose.Search;
using Compose.Search.Space;
using Compose.Search.Study;
using Compose.Search.Trials;
using StackExchange.Redis;

namespace Compose.Cluster;

/// <summary>
/// A study kept in the cluster's Redis, so any coordinator can resume it: one hash at
/// <c>compose:{clusterId}:study:{name}</c> holding the settings (field <c>settings</c>, written once) and every trial
/// (<c>trial:N</c>, its row as JSON; <c>attempts:N</c>, how often it was started). A trial is written as running
/// (attempts + 1, in one MULTI/EXEC) before it is evaluated and as done after, each write atomic, with the same
/// semantics as the SQLite <see cref="StudyStore"/>. Durable as far as the Redis is: run it with <c>appendonly yes</c>.
/// </summary>
public sealed partial class RedisStudyStore : IStudyStore
{
    private const string SettingsField = "settings";
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;

    private RedisStudyStore(ConnectionMultiplexer redis, string key, string display)
    {
        _redis = redis;
        _db = redis.GetDatabase();
        Key = key;
        Path = $"redis://{display}/{key}";
    }

    /// <summary>The study's Redis key.</summary>
    public string Key { get; }

    public string Path { get; }

    /// <summary>The study's name for an output folder: a hash of its full path, so one folder is one study.</summary>
    public static string NameFor(string outputFolder)
    {
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(outputFolder));
        return "out-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..16];
    }

    /// <summary>The study's key in <paramref name="connection"/>'s Redis.</summary>
    public static string KeyOf(ClusterConnection connection, string name) => $"{connection.KeyPrefix}study:{name}";

    /// <summary>CMP964 when <paramref name="name"/> cannot name a study (<c>--study</c>).</summary>
    public static Diagnostic? CheckName(string name) => NamePattern().IsMatch(name)
        ? null
        : Diagnostic.Error(ClusterDiagnosticCodes.BadClusterOption, new SourceLocation("--study", 0, 0), $"'{name}' is not a usable study name", "Use letters, digits, '.', '-' and '_' (at most 128).");

    /// <summary>Opens (or, with <paramref name="fresh"/>, deletes and starts anew) the study <paramref name="name"/> of the cluster.</summary>
    public static async Task<RedisStudyStore> OpenAsync(ClusterConnection connection, string name, bool fresh = false)
    {
        if (CheckName(name) is { } bad)
        {
            throw new DiagnosticException([bad]);
        }

        var redis = await ConnectionMultiplexer.ConnectAsync(connection.Redis).ConfigureAwait(false);
        var store = new RedisStudyStore(redis, KeyOf(connection, name), connection.Display);
        try
        {
            if (fresh)
            {
                await store._db.KeyDeleteAsync(store.Key).ConfigureAwait(false);
            }

            var type = await store._db.KeyTypeAsync(store.Key).ConfigureAwait(false);
            if (type is not RedisType.None and not RedisType.Hash)
            {
                throw Unreadable(store.Path, $"the key holds a {type.ToString().ToLowerInvariant()}, not a hash");
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    public void Bind(IReadOnlyDictionary<string, string> settings)
    {
        var text = JsonSerializer.Serialize(settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal));
        if (_db.HashSet(Key, SettingsField, text, When.NotExists))
        {
            return;
        }

        var changed = StudyChecks.Changed(Settings(), settings);
        if (changed.Count > 0)
        {
            throw StudyChecks.Mismatch(Path, changed, "Run it with the settings it was started with, give --study another name (or --out another folder), or pass --fresh to start a new study there.");
        }
    }

    /// <summary>The settings the study was started with (empty before <see cref="Bind"/>).</summary>
    public Dictionary<string, string> Settings()
    {
        var text = _db.HashGet(Key, SettingsField);
        if (text.IsNull)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        try
        {
            return new Dictionary<string, string>(JsonSerializer.Deserialize<Dictionary<string, string>>(text.ToString())!, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentNullException or NullReferenceException)
        {
            throw Unreadable(Path, $"its settings are not readable: {ex.Message}");
        }
    }

    public void Start(TrialRecord trial)
    {
        var tx = _db.CreateTransaction();
        _ = tx.HashIncrementAsync(Key, $"attempts:{trial.Number}", 1);
        _ = tx.HashSetAsync(Key, $"trial:{trial.Number}", JsonSerializer.Serialize(Row.Of(trial, "running")));
        if (!tx.Execute())
        {
            throw new InvalidOperationException($"the study {Path} did not take trial {trial.Number}");
        }
    }

    public void Finish(TrialRecord trial)
    {
        var started = _db.HashGet(Key, $"trial:{trial.Number}");
        var row = Row.Of(trial, "done") with { Started = started.IsNull ? null : Parse(started.ToString()).Started, Ended = Now() };
        _db.HashSet(Key, $"trial:{trial.Number}", JsonSerializer.Serialize(row));
    }

    public ImmutableArray<TrialRecord> Trials()
    {
        try
        {
            var fields = _db.HashGetAll(Key).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
            var trials = new List<TrialRecord>();
            foreach (var (field, value) in fields.Where(f => f.Key.StartsWith("trial:", StringComparison.Ordinal)))
            {
                var row = Parse(value);
                var number = int.Parse(field["trial:".Length..], NumberStyles.None, CultureInfo.InvariantCulture);
                if (row.Number != number || row.Architecture is null)
                {
                    throw new FormatException($"field {field} holds trial {row.Number}");
                }

                var done = row.Status == "done";
                if (!done && row.Status != "running")
                {
                    throw new FormatException($"trial {number} has status '{row.Status}'");
                }

                trials.Add(new TrialRecord(number, row.Architecture, row.Fidelity, row.Seed)
                {
                    Status = done ? TrialStatus.Done : TrialStatus.Running,
                    Correct = done ? row.Correct : 0,
                    Items = done ? row.Items : 0,
                    Calls = done ? row.Calls : 0,
                    Tokens = done ? row.Tokens : 0,
                    Cost = done ? decimal.Parse(row.Cost, CultureInfo.InvariantCulture) : 0,
                    PaidCalls = done ? row.PaidCalls : 0,
                    Attempts = fields.TryGetValue($"attempts:{number}", out var a) ? int.Parse(a, NumberStyles.None, CultureInfo.InvariantCulture) : 1,
                });
            }

            return [.. trials.OrderBy(t => t.Number)];
        }
        catch (Exception ex) when (ex is JsonException or FormatException or OverflowException or RedisServerException)
        {
            throw Unreadable(Path, ex.Message);
        }
    }

    public void Dispose() => _redis.Dispose();

    private static Row Parse(string json) => JsonSerializer.Deserialize<Row>(json) ?? throw new FormatException("a trial is null");

    private static string Now() => DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static DiagnosticException Unreadable(string location, string reason) =>
        new([Diagnostic.Error(SearchDiagnosticCodes.StudyUnreadable, new SourceLocation(location, 0, 0),
            $"the study in the cluster's Redis is not a Compose study that can be read ({reason})",
            "Give --study another name, or pass --fresh to start over (finished trials in it are lost).")]);

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,128}$")]
    private static partial Regex NamePattern();

    /// <summary>A trial as stored: the same columns as the SQLite study.</summary>
    private sealed record Row
    {
        public int Number { get; init; }

        public Architecture? Architecture { get; init; }

        public string ArchKey { get; init; } = "";

        public int Fidelity { get; init; }

        public long Seed { get; init; }

        public string Status { get; init; } = "running";

        public int Correct { get; init; }

        public int Items { get; init; }

        public long Calls { get; init; }

        public long Tokens { get; init; }

        public string Cost { get; init; } = "0";

        public long PaidCalls { get; init; }

        public string? Started { get; init; }

        public string? Ended { get; init; }

        public static Row Of(TrialRecord t, string status) => new()
        {
            Number = t.Number,
            Architecture = t.Architecture,
            ArchKey = t.Architecture.Key,
            Fidelity = t.Fidelity,
            Seed = t.Seed,
            Status = status,
            Correct = t.Correct,
            Items = t.Items,
            Calls = t.Calls,
            Tokens = t.Tokens,
            Cost = t.Cost.ToString(CultureInfo.InvariantCulture),
            PaidCalls = t.PaidCalls,
            Started = Now(),
        };
    }
}
