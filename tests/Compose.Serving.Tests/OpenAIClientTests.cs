using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace Compose.Serving.Tests;

/// <summary>The official OpenAI .NET client and Microsoft.Extensions.AI.OpenAI against a real server on 127.0.0.1.</summary>
public sealed class OpenAIClientTests
{
    private static OpenAIClientOptions Endpoint(TestServer server) => new() { Endpoint = server.BaseAddress, NetworkTimeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task The_official_client_chats_streams_and_lists_models_with_a_key()
    {
        await using var server = await TestServer.StartAsync(new ServeOptions { ApiKey = TestServer.Key });
        var chat = new ChatClient("single", new ApiKeyCredential(TestServer.Key), Endpoint(server));

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("What is the capital of France?")]);
        Assert.Equal("Paris is the capital of France.", completion.Content[0].Text);
        Assert.Equal("single", completion.Model);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(8, completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);

        var pieces = new List<string>();
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("What is the capital of France?")]))
        {
            pieces.AddRange(update.ContentUpdate.Select(p => p.Text).Where(t => t.Length > 0));
            usage = update.Usage ?? usage;
        }

        Assert.Equal(["Paris", " is", " the", " capital", " of", " France."], pieces);
        Assert.Equal(completion.Usage.TotalTokenCount, usage!.TotalTokenCount);

        var models = new OpenAIModelClient(new ApiKeyCredential(TestServer.Key), Endpoint(server));
        OpenAIModelCollection list = await models.GetModelsAsync();
        Assert.Equal(["single", "voted"], list.Select(m => m.Id));
    }

    [Fact]
    public async Task Microsoft_Extensions_AI_OpenAI_chats_and_streams()
    {
        await using var server = await TestServer.StartAsync(new ServeOptions { ApiKey = TestServer.Key });
        IChatClient client = new ChatClient("voted", new ApiKeyCredential(TestServer.Key), Endpoint(server)).AsIChatClient();

        var response = await client.GetResponseAsync("What is 2+2?", new ChatOptions { Seed = 3 });
        Assert.Equal("The answer is 4.", response.Text);
        Assert.True(response.Usage!.OutputTokenCount >= 3 * 4, "usage counts all three samples");

        var streamed = await client.GetStreamingResponseAsync("What is 2+2?").ToChatResponseAsync();
        Assert.Equal("The answer is 4.", streamed.Text);
        Assert.Equal(response.Usage.TotalTokenCount, streamed.Usage!.TotalTokenCount);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sk-wrong")]
    [InlineData("sk-test-7f3")]
    public async Task A_missing_or_wrong_key_gets_401(string? key)
    {
        await using var server = await TestServer.StartAsync(new ServeOptions { ApiKey = TestServer.Key });
        var chat = new ChatClient("single", new ApiKeyCredential(key ?? "unused"), Endpoint(server));
        if (key is null)
        {
            using var http = new HttpClient();
            using var bare = await http.GetAsync(new Uri(server.BaseAddress + "/models"));
            Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
            Assert.Equal("invalid_api_key", JsonDocument.Parse(await bare.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
            return;
        }

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, ex.Status);
        var models = new OpenAIModelClient(new ApiKeyCredential(key), Endpoint(server));
        Assert.Equal(401, (await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelsAsync())).Status);
    }

    [Fact]
    public async Task A_bad_request_from_the_official_client_gets_400_with_an_openai_shaped_error()
    {
        await using var server = await TestServer.StartAsync();
        var chat = new ChatClient("single", new ApiKeyCredential("any"), Endpoint(server));
        var ex = await Assert.ThrowsAsync<ClientResultException>(() =>
            chat.CompleteChatAsync([new UserChatMessage("hi"), new ToolChatMessage("call_1", "tool output")]));
        Assert.Equal(400, ex.Status);
        Assert.Contains("messages[1].role must be one of", ex.Message, StringComparison.Ordinal);

        var unknown = new ChatClient("nope", new ApiKeyCredential("any"), Endpoint(server));
        Assert.Equal(404, (await Assert.ThrowsAsync<ClientResultException>(() => unknown.CompleteChatAsync([new UserChatMessage("hi")]))).Status);
    }

    [Theory]
    [InlineData("{not json", null)]
    [InlineData("{\"model\":\"single\"}", "messages")]
    [InlineData("{\"model\":\"single\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":\"x\"}", "seed")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model")]
    [InlineData("{\"model\":\"single\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"}]}", "messages")]
    public async Task Bad_bodies_get_400_naming_the_field(string body, string? param)
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(server.BaseAddress + "/chat/completions"), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413()
    {
        await using var server = await TestServer.StartAsync(new ServeOptions { MaxRequestBodyBytes = 2048 });
        using var http = new HttpClient();
        var body = JsonSerializer.Serialize(new { model = "single", messages = new[] { new { role = "user", content = new string('x', 10_000) } } });
        using var response = await http.PostAsync(new Uri(server.BaseAddress + "/chat/completions"), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("/chat/completions")]
    [InlineData("/CHAT/Completions/")]
    public async Task Requests_beyond_the_concurrency_limit_and_queue_get_429(string path)
    {
        const string Slow = "compose: 1\nname: slow\nmodels:\n  m: { provider: scripted, latency_ms: 1500, default: ok }\ndefaults: { model: m }\nlayers:\n  - generate: {}\n";
        await using var server = await TestServer.StartAsync(new ServeOptions { MaxConcurrentRequests = 1, QueueLimit = 0 }, Slow);
        using var http = new HttpClient();
        Task<HttpResponseMessage> Post() => http.PostAsync(new Uri(server.BaseAddress + path),
            new StringContent("{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Encoding.UTF8, "application/json"));

        var first = Post();
        await Task.Delay(300);
        using var second = await Post();
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Equal("rate_limit_exceeded", JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());
        using var ok = await first;
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Seed_and_max_calls_reach_the_run()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient();
        async Task<JsonElement> Post(string extra)
        {
            using var response = await http.PostAsync(new Uri(server.BaseAddress + "/chat/completions"),
                new StringContent("{\"model\":\"voted\",\"messages\":[{\"role\":\"user\",\"content\":\"2+2?\"}]" + extra + "}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        }

        var full = await Post("");
        var limited = await Post(",\"max_calls\":1,\"seed\":9");
        Assert.Equal("length", limited.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(limited.GetProperty("usage").GetProperty("completion_tokens").GetInt32() < full.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }
}
