using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Compose.Serving.Tests;

/// <summary>What a raw HTTP/1.1 exchange came back with: status 0 when the server closed the connection without a response.</summary>
internal sealed record RawResponse(int Status, string Head, string Body, TimeSpan Elapsed);

/// <summary>
/// A hand-made HTTP/1.1 client over a TCP socket, for what real clients never send: lying
/// Content-Length, bodies trickled a few bytes at a time, bodies cut short, broken chunking.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line) and the body, then reads one response.</summary>
    /// <param name="trickle">When set, the body goes out this many bytes at a time, every 100 ms, until the server answers.</param>
    /// <param name="closeAfterBody">Half-closes the connection after the body (a body cut short stays cut short).</param>
    /// <param name="finishHead">False leaves the headers unfinished (no blank line): a client that never completes its request head.</param>
    public static async Task<RawResponse> SendAsync(int port, string head, byte[] body, int? trickle = null, bool closeAfterBody = false, TimeSpan? timeout = null, bool finishHead = true)
    {
        var started = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head + (finishHead ? "\r\n\r\n" : "\r\n")), cts.Token);

        using var answered = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var sender = Task.Run(async () =>
        {
            try
            {
                if (trickle is { } size)
                {
                    for (var offset = 0; offset < body.Length && !answered.IsCancellationRequested; offset += size)
                    {
                        await stream.WriteAsync(body.AsMemory(offset, Math.Min(size, body.Length - offset)), answered.Token);
                        await Task.Delay(100, answered.Token);
                    }
                }
                else if (body.Length > 0)
                {
                    await stream.WriteAsync(body, answered.Token);
                }

                if (closeAfterBody)
                {
                    client.Client.Shutdown(SocketShutdown.Send);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // The server answered (or closed) before the whole body went out.
            }
        });

        var response = await ReadResponseAsync(stream, cts.Token);
        await answered.CancelAsync();
        await sender;
        return response with { Elapsed = Stopwatch.GetElapsedTime(started) };
    }

    private static async Task<RawResponse> ReadResponseAsync(NetworkStream stream, CancellationToken ct)
    {
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            if (await ReadSome(stream, buffer, ct) is not { } n || n == 0)
            {
                return new RawResponse(0, Encoding.UTF8.GetString([.. received]), "", TimeSpan.Zero);
            }

            received.AddRange(buffer.AsSpan(0, n));
        }

        var head = Encoding.UTF8.GetString(received.GetRange(0, headEnd).ToArray());
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var rest = received.Skip(headEnd + 4).ToList();
        var lines = head.Split("\r\n");
        var length = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } cl
            ? int.Parse(cl[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
        var chunked = lines.Any(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && l.Contains("chunked", StringComparison.OrdinalIgnoreCase));
        while (length is { } want ? rest.Count < want : chunked ? IndexOf(rest, "0\r\n\r\n"u8) < 0 : true)
        {
            if (await ReadSome(stream, buffer, ct) is not { } n || n == 0)
            {
                break;
            }

            rest.AddRange(buffer.AsSpan(0, n));
        }

        var body = chunked ? Dechunk([.. rest]) : Encoding.UTF8.GetString([.. rest]);
        return new RawResponse(status, head, body, TimeSpan.Zero);
    }

    private static async Task<int?> ReadSome(NetworkStream stream, byte[] buffer, CancellationToken ct)
    {
        try
        {
            return await stream.ReadAsync(buffer, ct);
        }
        catch (IOException)
        {
            return null; // reset by the server
        }
    }

    private static string Dechunk(byte[] data)
    {
        var text = new StringBuilder();
        var at = 0;
        while (at < data.Length)
        {
            var lineEnd = IndexOf([.. data.Skip(at)], "\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(Encoding.ASCII.GetString(data, at, lineEnd).Split(';')[0].Trim(), 16);
            at += lineEnd + 2;
            if (size == 0 || at + size > data.Length)
            {
                break;
            }

            text.Append(Encoding.UTF8.GetString(data, at, size));
            at += size + 2;
        }

        return text.ToString();
    }

    private static int IndexOf(List<byte> data, ReadOnlySpan<byte> pattern) => data.ToArray().AsSpan().IndexOf(pattern);
}
