using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Caching.Distributed;

namespace Compose.Evaluation.Caching;

/// <summary>
/// A persistent <see cref="IDistributedCache"/> in one SQLite file (table <c>cache(key, value)</c>,
/// WAL journal). Entries never expire: it stores model responses, which stay valid. Each write is
/// its own transaction, so a process killed at any moment loses at most the write in flight.
/// Safe for concurrent use (a pooled connection per operation).
/// </summary>
public sealed class SqliteDistributedCache : IDistributedCache
{
    private readonly string _connectionString;

    public SqliteDistributedCache(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value BLOB NOT NULL);";
        command.ExecuteNonQuery();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Number of stored entries.</summary>
    public long Count()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM cache";
        return (long)command.ExecuteScalar()!;
    }

    public byte[]? Get(string key)
    {
        using var connection = Open();
        using var command = Select(connection, key);
        return command.ExecuteScalar() as byte[];
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Select(connection, key);
        return await command.ExecuteScalarAsync(token).ConfigureAwait(false) as byte[];
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        using var connection = Open();
        using var command = Upsert(connection, key, value);
        command.ExecuteNonQuery();
    }

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Upsert(connection, key, value);
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key)
    {
        using var connection = Open();
        using var command = Delete(connection, key);
        command.ExecuteNonQuery();
    }

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Delete(connection, key);
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    private static SqliteCommand Select(SqliteConnection connection, string key)
    {
        var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM cache WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command;
    }

    private static SqliteCommand Upsert(SqliteConnection connection, string key, byte[] value)
    {
        var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO cache (key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        return command;
    }

    private static SqliteCommand Delete(SqliteConnection connection, string key)
    {
        var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM cache WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken token)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(token).ConfigureAwait(false);
        return connection;
    }
}
