using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Compose.Cli.Tests;

/// <summary>
/// A real Redis server on 127.0.0.1 (a child process with append-only persistence in a temporary folder), for
/// cluster tests. Tests skip when redis-server is not installed, and fail instead under COMPOSE_REQUIRE_SHARED=1
/// (CI installs it: .ci/run).
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    public int Port { get; }

    public string Folder { get; }

    public string Connection => $"127.0.0.1:{Port}";

    /// <summary>redis-server's path, or null.</summary>
    public static string? Executable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);

    /// <summary>Skips the test when redis-server is missing (fails under COMPOSE_REQUIRE_SHARED=1).</summary>
    public static string Require()
    {
        var path = Executable();
        if (path is null)
        {
            Assert.False(Environment.GetEnvironmentVariable("COMPOSE_REQUIRE_SHARED") == "1", "COMPOSE_REQUIRE_SHARED=1 but redis-server is not installed (.ci/run installs it: apt-get install redis-server)");
            Skip.If(true, "redis-server is not installed (apt-get install redis-server); cluster process tests need a real Redis");
        }

        return path!;
    }

    public static async Task<RedisServer> StartAsync()
    {
        var executable = Require();
        var folder = Directory.CreateTempSubdirectory("compose-redis-").FullName;
        var port = FreePort();
        var psi = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--dir", folder })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var server = new RedisServer(process, port, folder);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (await server.PingAsync())
            {
                return server;
            }

            await Task.Delay(100);
        }

        server.Dispose();
        throw new InvalidOperationException($"redis-server did not answer on port {port}");
    }

    /// <summary>Sends one inline command and returns Redis's reply line.</summary>
    public async Task<string> CommandAsync(string command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read).TrimEnd();
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            return (await CommandAsync("PING")).Contains("PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>A <c>compose cluster silo</c> child process on 127.0.0.1.</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private SiloProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a silo and waits until it has joined the cluster.</summary>
    public static async Task<SiloProcess> StartAsync(RedisServer redis, string name, string? models = null, int modelConcurrency = 4, params string[] extra)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
        var args = new List<string>
        {
            Path.Combine(AppContext.BaseDirectory, "Compose.Cli.dll"), "cluster", "silo", "--cluster", redis.Connection, "--name", name,
            "--port", RedisServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", RedisServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--model-concurrency", modelConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (models is not null)
        {
            args.AddRange(["--models", models]);
        }

        args.AddRange(extra);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        var silo = new SiloProcess(process, name);
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Read(StreamReader reader) => _ = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (silo._log)
                {
                    silo._log.AppendLine(line);
                }

                if (line.Contains("joined cluster", StringComparison.Ordinal))
                {
                    joined.TrySetResult();
                }
            }

            joined.TrySetResult();
        });
        Read(process.StandardOutput);
        Read(process.StandardError);
        await joined.Task.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.False(process.HasExited, $"silo {name} exited: {silo.Log}");
        return silo;
    }

    /// <summary>SIGKILL: the silo leaves nothing behind and says nothing to the cluster.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
