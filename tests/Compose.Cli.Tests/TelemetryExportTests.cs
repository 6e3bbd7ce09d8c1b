using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Compose.Cli.Tests;

public sealed class TelemetryExportTests
{
    [Fact]
    public async Task With_an_OTLP_endpoint_the_run_exports_its_activities()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var received = new List<(string Path, byte[] Body)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync().WaitAsync(stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (received)
                {
                    received.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                }

                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var result = await Cli.Process(
            ["run", "pipelines/generate-critique-rank-fuse.yaml", "--models", Repo.ScriptedModels, "--input", "What is 6*7?"],
            env: new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            });
        await stop.CancelAsync();
        listener.Stop();
        await server;

        Assert.Equal(0, result.ExitCode);
        (string Path, byte[] Body)[] posts;
        lock (received)
        {
            posts = [.. received];
        }

        Assert.Contains(posts, p => p.Path == "/v1/traces");
        var text = Encoding.UTF8.GetString(posts.SelectMany(p => p.Body).ToArray());
        foreach (var name in new[] { "compose.run", "compose.layer", "compose.technique", "compose.node", "gen_ai.usage.input_tokens" })
        {
            Assert.Contains(name, text, StringComparison.Ordinal);
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
