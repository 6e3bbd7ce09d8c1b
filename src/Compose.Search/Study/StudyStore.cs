using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Compose.Language;
using Compose.Search.Space;
using Compose.Search.Trials;
using Microsoft.Data.Sqlite;

namespace Compose.Search.Study;

/// <summary>
/// A study in one SQLite file: its settings (<c>study</c>) and every trial (<c>trials</c>), written as
/// <c>running</c> before it is evaluated and as <c>done</c> after, each in its own transaction, so a
/// study killed at any moment loses nothing finished.
/// </summary>
public sealed class StudyStore : IStudyStore
{
    private readonly SqliteConnection _connection;

    private StudyStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens or creates the study; a diagnostic (CMP861) when the file is not a study Compose can read.</summary>
    public static StudyStore Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = 30 }.ToString());
        try
        {
            connection.Open();
            Execute(connection, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS study (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS trials (
              number INTEGER PRIMARY KEY, architecture TEXT NOT NULL, arch_key TEXT NOT NULL, fidelity INTEGER NOT NULL,
              seed INTEGER NOT NULL, status TEXT NOT NULL, correct INTEGER, items INTEGER, calls INTEGER, tokens INTEGER,
              cost TEXT, paid_calls INTEGER, attempts INTEGER NOT NULL, started TEXT NOT NULL, ended TEXT);
            """);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 1 or 11 or 26)
        {
            connection.Dispose();
            throw Unreadable(full, ex.Message);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return new StudyStore(connection, full);
    }

    /// <summary>Records the study's settings, or checks them against the ones recorded (a resumed study must be the same study).</summary>
    public void Bind(IReadOnlyDictionary<string, string> settings)
    {
        var existing = Settings();
        if (existing.Count > 0)
        {
            var changed = StudyChecks.Changed(existing, settings);
            if (changed.Count > 0)
            {
                throw StudyChecks.Mismatch(Path, changed);
            }

            return;
        }

        using var tx = _connection.BeginTransaction();
        foreach (var (k, v) in settings)
        {
            using var c = _connection.CreateCommand();
            c.Transaction = tx;
            c.CommandText = "INSERT INTO study (key, value) VALUES ($k, $v)";
            c.Parameters.AddWithValue("$k", k);
            c.Parameters.AddWithValue("$v", v);
            c.ExecuteNonQuery();
        }

        tx.Commit();
    }

    public Dictionary<string, string> Settings()
    {
        try
        {
            return ReadSettings();
        }
        catch (Exception ex) when (IsCorrupt(ex))
        {
            throw Unreadable(Path, ex.Message);
        }
    }

    private Dictionary<string, string> ReadSettings()
    {
        using var c = _connection.CreateCommand();
        c.CommandText = "SELECT key, value FROM study";
        using var r = c.ExecuteReader();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read())
        {
            result[r.GetString(0)] = r.GetString(1);
        }

        return result;
    }

    /// <summary>Writes the trial as running (attempts + 1 when it was started before).</summary>
    public void Start(TrialRecord trial)
    {
        using var c = _connection.CreateCommand();
        c.CommandText = """
            INSERT INTO trials (number, architecture, arch_key, fidelity, seed, status, attempts, started)
            VALUES ($n, $a, $k, $f, $s, 'running', 1, $t)
            ON CONFLICT(number) DO UPDATE SET attempts = attempts + 1, started = excluded.started, status = 'running'
            """;
        c.Parameters.AddWithValue("$n", trial.Number);
        c.Parameters.AddWithValue("$a", JsonSerializer.Serialize(trial.Architecture));
        c.Parameters.AddWithValue("$k", trial.Architecture.Key);
        c.Parameters.AddWithValue("$f", trial.Fidelity);
        c.Parameters.AddWithValue("$s", trial.Seed);
        c.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        c.ExecuteNonQuery();
    }

    /// <summary>Writes the trial's outcome; from then on it is never run again.</summary>
    public void Finish(TrialRecord trial)
    {
        using var c = _connection.CreateCommand();
        c.CommandText = """
            UPDATE trials SET status = 'done', correct = $c, items = $i, calls = $calls, tokens = $tok, cost = $cost,
              paid_calls = $paid, ended = $t WHERE number = $n
            """;
        c.Parameters.AddWithValue("$n", trial.Number);
        c.Parameters.AddWithValue("$c", trial.Correct);
        c.Parameters.AddWithValue("$i", trial.Items);
        c.Parameters.AddWithValue("$calls", trial.Calls);
        c.Parameters.AddWithValue("$tok", trial.Tokens);
        c.Parameters.AddWithValue("$cost", trial.Cost.ToString(CultureInfo.InvariantCulture));
        c.Parameters.AddWithValue("$paid", trial.PaidCalls);
        c.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        c.ExecuteNonQuery();
    }

    /// <summary>Every trial in number order; a diagnostic (CMP861) when the study's rows cannot be read.</summary>
    public ImmutableArray<TrialRecord> Trials()
    {
        try
        {
            return ReadTrials();
        }
        catch (Exception ex) when (IsCorrupt(ex))
        {
            throw Unreadable(Path, ex.Message);
        }
    }

    private ImmutableArray<TrialRecord> ReadTrials()
    {
        using var c = _connection.CreateCommand();
        c.CommandText = "SELECT number, architecture, fidelity, seed, status, correct, items, calls, tokens, cost, paid_calls, attempts FROM trials ORDER BY number";
        using var r = c.ExecuteReader();
        var list = ImmutableArray.CreateBuilder<TrialRecord>();
        while (r.Read())
        {
            var done = r.GetString(4) == "done";
            list.Add(new TrialRecord(r.GetInt32(0), JsonSerializer.Deserialize<Architecture>(r.GetString(1))!, r.GetInt32(2), r.GetInt64(3))
            {
                Status = done ? TrialStatus.Done : TrialStatus.Running,
                Correct = done ? r.GetInt32(5) : 0,
                Items = done ? r.GetInt32(6) : 0,
                Calls = done ? r.GetInt64(7) : 0,
                Tokens = done ? r.GetInt64(8) : 0,
                Cost = done ? decimal.Parse(r.GetString(9), CultureInfo.InvariantCulture) : 0,
                PaidCalls = done ? r.GetInt64(10) : 0,
                Attempts = r.GetInt32(11),
            });
        }

        return list.ToImmutable();
    }

    public void Dispose() => _connection.Dispose();

    private static bool IsCorrupt(Exception ex) =>
        ex is SqliteException { SqliteErrorCode: 1 or 11 or 26 } or JsonException or InvalidCastException or FormatException or OverflowException or InvalidOperationException;

    private static DiagnosticException Unreadable(string path, string reason) =>
        new([Diagnostic.Error(SearchDiagnosticCodes.StudyUnreadable, new SourceLocation(path, 0, 0),
            $"the study file is not a Compose study that can be read ({reason})",
            "Give --out another folder, or delete the study file to start over (finished trials in it are lost).")]);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var c = connection.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
