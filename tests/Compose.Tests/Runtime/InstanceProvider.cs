using Compose.Language;
using Compose.Models;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

/// <summary>A provider ("instance") that hands out given clients by model name, so tests can observe calls.</summary>
internal sealed class InstanceProvider(IReadOnlyDictionary<string, IChatClient> clients, ModelCapabilities offers = ModelCapabilities.None) : IModelProvider
{
    public string Name => "instance";

    public ModelCapabilities Capabilities(ModelSpec spec, ModelProviderContext context) => offers;

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context) => [];

    public IChatClient Create(ModelSpec spec, ModelProviderContext context) => new NonDisposing(clients[spec.Name]);

    private sealed class NonDisposing(IChatClient inner) : DelegatingChatClient(inner)
    {
        protected override void Dispose(bool disposing)
        {
        }
    }
}
