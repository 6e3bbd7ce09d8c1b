using Compose.Models;
using Compose.Models.Middleware;
using Microsoft.Extensions.AI;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>The retry middleware on its own, over a client that fails as scripted.</summary>
public sealed class RetryingChatClientTests
{
    public static TheoryData<Exception> TransientNetworkErrors => new()
    {
        new HttpRequestException("connection reset"),
        new IOException("unexpected end of stream"),
    };

    [Theory]
    [MemberData(nameof(TransientNetworkErrors))]
    public async Task Network_errors_are_retried(Exception failure)
    {
        var inner = new FailingClient([failure, failure]);
        using var client = new ChatClientBuilder(inner).UseComposeRetry(FastRetry, "m").Build();

        var response = await client.GetResponseAsync("hi");

        Assert.Equal("ok", response.Text);
        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task Errors_that_are_not_call_failures_pass_through_untouched()
    {
        var inner = new FailingClient([new ArgumentException("bad argument")]);
        using var client = new ChatClientBuilder(inner).UseComposeRetry(FastRetry, "m").Build();

        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("hi"));
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task Zero_retries_means_one_attempt()
    {
        var inner = new FailingClient([new HttpRequestException("down")]);
        using var client = new ChatClientBuilder(inner).UseComposeRetry(FastRetry with { MaxRetries = 0 }, "m").Build();

        var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync("hi"));

        Assert.Equal(1, error.Attempts);
        Assert.Equal(1, inner.Calls);
        Assert.Contains("after 1 attempt;", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Throws the scripted failures in order, then answers "ok".</summary>
    private sealed class FailingClient(IReadOnlyList<Exception> failures) : IChatClient
    {
        public int Calls { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Calls <= failures.Count
                ? Task.FromException<ChatResponse>(failures[Calls - 1])
                : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
