using Compose.Language;
using Compose.Models;
using Microsoft.Extensions.AI;

namespace Compose.Tests;

/// <summary>A provider for tests: accepts any options but reports <c>bad:</c> with its own code.</summary>
internal sealed class FakeProvider(string name = "fake", ModelCapabilities offers = ModelCapabilities.None) : IModelProvider
{
    public string Name => name;

    public ModelCapabilities Capabilities(ModelSpec spec, ModelProviderContext context) => offers;

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context)
    {
        foreach (var entry in spec.Options.Entries.Where(e => e.Key == "bad"))
        {
            yield return Diagnostic.Error("FAKE001", entry.KeyLocation, $"model '{spec.Name}': option 'bad' is not allowed");
        }
    }

    public IChatClient Create(ModelSpec spec, ModelProviderContext context) => throw new NotSupportedException("fake provider creates nothing");

    public static ModelProviderCatalog Catalog { get; } = ModelProviderCatalog.Empty.With(new FakeProvider()).With(new FakeProvider("scripted"))
        .With(new FakeProvider("steps", ModelCapabilities.Continuation));
}
