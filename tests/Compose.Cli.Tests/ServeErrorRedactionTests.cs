using Compose.Models;
using Compose.Serving;

namespace Compose.Cli.Tests;

/// <summary>What <c>compose serve</c> relays to its HTTP clients carries no registered secret, nor a piece of one.</summary>
public sealed class ServeErrorRedactionTests
{
    [Fact]
    public void An_error_relayed_by_serve_has_the_key_masked()
    {
        var key = "sk-Serve-" + Guid.NewGuid().ToString("N");
        SecretRedactor.Register(key);

        var error = new OpenAIError(500, $"gpt: upstream said: bad key {key.ToUpperInvariant()} ({key[..12]}...)", "server_error");
        var json = error.ToJson().ToJsonString();

        Assert.Contains("bad key *** (***...)", json, StringComparison.Ordinal);
        for (var i = 0; i + 8 <= key.Length; i++)
        {
            Assert.DoesNotContain(key.Substring(i, 8), json, StringComparison.OrdinalIgnoreCase);
        }
    }
}
