using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenAI;
using OpenAI.Chat;

namespace Compose.Cli.Tests;

/// <summary>The official OpenAI .NET client against a real <c>compose serve</c> process on 127.0.0.1.</summary>
public sealed class ServeProcessTests
{
    [Fact]
    public async Task The_official_OpenAI_client_talks_to_compose_serve()
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Compose.Cli.dll"), "serve", "pipelines/self-consistency.yaml", "--models", Repo.ScriptedModels, "--urls", $"http://127.0.0.1:{port}", "--api-key-env", "COMPOSE_TEST_SERVE_KEY" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["COMPOSE_TEST_SERVE_KEY"] = "test-key-0123456789";
        using var server = Process.Start(psi)!;
        var stderr = server.StandardError.ReadToEndAsync();
        try
        {
            var ready = await WaitForLine(server.StandardOutput, "listening on", TimeSpan.FromSeconds(60));
            Assert.True(ready, "compose serve did not start: " + (server.HasExited ? await stderr : "(still running)"));

            var options = new OpenAIClientOptions { Endpoint = new Uri($"http://127.0.0.1:{port}/v1") };
            var client = new OpenAIClient(new ApiKeyCredential("test-key-0123456789"), options);
            var models = await client.GetOpenAIModelClient().GetModelsAsync();
            Assert.Contains(models.Value, m => m.Id == "self-consistency");

            var chat = client.GetChatClient("self-consistency");
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("What is 6*7?")]);
            Assert.Contains("42", completion.Content[0].Text, StringComparison.Ordinal);
            Assert.True(completion.Usage.InputTokenCount > 0);

            var streamed = new System.Text.StringBuilder();
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("What is 6*7?")]))
            {
                foreach (var part in update.ContentUpdate)
                {
                    streamed.Append(part.Text);
                }
            }

            Assert.Contains("42", streamed.ToString(), StringComparison.Ordinal);

            var wrong = new OpenAIClient(new ApiKeyCredential("not-the-key"), options).GetChatClient("self-consistency");
            var denied = await Assert.ThrowsAsync<ClientResultException>(() => wrong.CompleteChatAsync([new UserChatMessage("hi")]));
            Assert.Equal(401, denied.Status);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }

            await server.WaitForExitAsync();
        }

        Assert.DoesNotContain("test-key-0123456789", await stderr, StringComparison.Ordinal);
    }

    private static async Task<bool> WaitForLine(StreamReader reader, string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await reader.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return false;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
