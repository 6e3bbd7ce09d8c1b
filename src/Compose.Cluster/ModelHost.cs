using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Compose.Language;
using Compose.Models;
using Compose.Models.Middleware;
using Microsoft.Extensions.AI;

namespace Compose.Cluster;

/// <summary>A model a silo hosts: its definition and what it offers.</summary>
public sealed record HostedModel(string Id, ModelSpec Spec, ModelCapabilities Capabilities);

/// <summary>
/// The models of one silo: those it hosts (built once, on first use) and the per-model concurrency limit every model
/// call made on this silo goes through, hosted or not, so the silo's capacity per model is <see cref="ComposeSiloOptions.ModelConcurrency"/>.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _slots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<IChatClient>> _clients = new(StringComparer.Ordinal);
    private readonly ModelProviderContext _context;
    private long _calls;

    public ModelHost(ComposeSiloOptions options)
    {
        Options = options;
        _context = new ModelProviderContext { BaseDirectory = options.BaseDirectory, Catalog = options.Catalog, Files = options.Files };
        var hosted = ImmutableDictionary.CreateBuilder<string, HostedModel>(StringComparer.Ordinal);
        var problems = new List<Diagnostic>();
        foreach (var spec in options.Models)
        {
            if (!options.Catalog.TryGet(spec.Provider, out var provider))
            {
                problems.Add(Diagnostic.Error(ClusterDiagnosticCodes.SiloModelUnusable, spec.Location, $"model '{spec.Name}': no provider '{spec.Provider}' on this silo", $"Providers: {string.Join(", ", options.Catalog.Names)}."));
                continue;
            }

            var context = _context.For(spec);
            var found = provider.Check(spec, context).Where(d => d.IsError).ToList();
            if (found.Count > 0)
            {
                problems.AddRange(found);
                continue;
            }

            var id = ModelIdentity.Of(spec);
            hosted[id] = new HostedModel(id, spec, provider.Capabilities(spec, context));
        }

        if (problems.Count > 0)
        {
            throw new DiagnosticException([.. problems]);
        }

        Hosted = hosted.ToImmutable();
    }

    public ComposeSiloOptions Options { get; }

    /// <summary>The hosted models by id.</summary>
    public ImmutableDictionary<string, HostedModel> Hosted { get; }

    /// <summary>Model calls this silo has run (hosted models and its own), answered or failed.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>The silo-wide slots of one model.</summary>
    public SemaphoreSlim Slots(string id) =>
        _slots.GetOrAdd(id, _ => new SemaphoreSlim(Options.ModelConcurrency, Options.ModelConcurrency));

    /// <summary><paramref name="client"/> behind this silo's limit for model <paramref name="id"/>.</summary>
    public IChatClient Limited(string id, IChatClient client) => new CountingClient(new ConcurrencyLimitingChatClient(client, Slots(id)), this);

    /// <summary>The hosted model <paramref name="id"/>, built on first use, behind the silo's limit.</summary>
    public IChatClient Client(string id)
    {
        if (!Hosted.TryGetValue(id, out var model))
        {
            throw new InvalidOperationException($"model {id} is not hosted on this silo");
        }

        return _clients.GetOrAdd(id, _ => new Lazy<IChatClient>(() =>
        {
            Options.Catalog.TryGet(model.Spec.Provider, out var provider);
            return Limited(id, provider!.Create(model.Spec, _context.For(model.Spec)));
        })).Value;
    }

    /// <summary>Answers a call from another silo; a model failure comes back as an error, not an exception.</summary>
    public async Task<ModelReplyWire> CallAsync(ModelCall call, string silo, CancellationToken cancellationToken)
    {
        var client = Client(call.ModelId);
        try
        {
            var response = await client.GetResponseAsync(ChatWire.ReadMessages(call.Messages), ChatWire.ReadOptions(call.Options), cancellationToken).ConfigureAwait(false);
            return new ModelReplyWire { Response = ChatWire.Response(response), Silo = silo };
        }
        catch (ModelCallException ex)
        {
            return new ModelReplyWire { Error = ex.Message, Status = ex.Status, Attempts = ex.Attempts, Silo = silo };
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not OutOfMemoryException)
        {
            return new ModelReplyWire { Error = $"model '{Hosted[call.ModelId].Spec.Name}' failed on silo {silo}: {ex.Message}", Attempts = 1, Silo = silo };
        }
    }

    /// <summary>What this silo advertises in its metadata: <c>id:capabilities</c> per hosted model.</summary>
    public string Advertised() =>
        string.Join(';', Hosted.Values.OrderBy(m => m.Id, StringComparer.Ordinal).Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Id}:{(int)m.Capabilities}")));

    /// <summary>Reads <see cref="Advertised"/>.</summary>
    public static ImmutableDictionary<string, int> ParseAdvertised(string? text)
    {
        var models = ImmutableDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        foreach (var entry in (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && int.TryParse(entry[(colon + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var capabilities))
            {
                models[entry[..colon]] = capabilities;
            }
        }

        return models.ToImmutable();
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated))
        {
            client.Value.Dispose();
        }

        foreach (var slots in _slots.Values)
        {
            slots.Dispose();
        }
    }

    private sealed class CountingClient(IChatClient inner, ModelHost host) : DelegatingChatClient(inner)
    {
        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref host._calls);
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref host._calls);
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }
    }
}
