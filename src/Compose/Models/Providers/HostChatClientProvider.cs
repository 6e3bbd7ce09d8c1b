using Compose.Language;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Compose.Models.Providers;

/// <summary>
/// <c>provider: host</c>: the model is a chat client the host application registered in its
/// services (for example in a Semantic Kernel app), looked up by service id.
/// <code>
/// writer:
///   provider: host
///   service_id: small     # the key of a keyed IChatClient; leave it out for the host's unkeyed IChatClient
/// </code>
/// Available only where the host passes its services (<see cref="ModelProviderContext.Services"/>),
/// for example through Compose.SemanticKernel. The host owns the client: the pipeline never disposes it.
/// </summary>
public sealed class HostChatClientProvider : IModelProvider
{
    public const string NoHostServices = "CMP900";
    public const string ServiceNotFound = "CMP901";
    public const string UnknownOption = "CMP902";
    public const string BadValue = "CMP903";

    private static readonly string[] Options = ["service_id"];

    public string Name => "host";

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context)
    {
        var diagnostics = new List<Diagnostic>();
        var serviceId = Parse(spec, diagnostics);
        if (diagnostics.Any(d => d.IsError))
        {
            return diagnostics;
        }

        if (context.Services is null)
        {
            diagnostics.Add(Diagnostic.Error(NoHostServices, spec.Location,
                $"model '{spec.Name}' uses provider 'host', but this host offers no services to resolve it from",
                "Use the pipeline from a host that registers chat clients (for example AddComposePipeline in a Semantic Kernel app), or bind the model to another provider with --models."));
        }
        else if (Resolve(context.Services, serviceId) is null)
        {
            diagnostics.Add(NotFound(spec, serviceId));
        }

        return diagnostics;
    }

    public IChatClient Create(ModelSpec spec, ModelProviderContext context)
    {
        var diagnostics = Check(spec, context).ToList();
        if (diagnostics.Any(d => d.IsError))
        {
            throw new DiagnosticException(diagnostics);
        }

        var serviceId = Parse(spec, []);
        var client = Resolve(context.Services!, serviceId) ?? throw new DiagnosticException([NotFound(spec, serviceId)]);
        return new HostOwnedChatClient(client);
    }

    private static IChatClient? Resolve(IServiceProvider services, string? serviceId) =>
        serviceId is null ? services.GetService<IChatClient>() : services.GetKeyedService<IChatClient>(serviceId);

    private static Diagnostic NotFound(ModelSpec spec, string? serviceId) =>
        Diagnostic.Error(ServiceNotFound, spec.Options["service_id"]?.Location ?? spec.Location,
            serviceId is null
                ? $"model '{spec.Name}': the host has no IChatClient registered"
                : $"model '{spec.Name}': the host has no IChatClient registered with service id '{serviceId}'",
            "Register it before the pipeline is built, for example services.AddKeyedChatClient(\"small\", client).");

    private string? Parse(ModelSpec spec, List<Diagnostic> diagnostics)
    {
        var options = new ModelOptionsReader(Name, spec, diagnostics);
        options.Known(Options, new(UnknownOption, hint: "A host model takes only: service_id."));
        return options.Text("service_id", new(BadValue, "service_id must be a non-empty text", "For example: service_id: small"), value => value.Length > 0);
    }

    /// <summary>Passes calls to the host's client; disposing it leaves the host's client alone.</summary>
    private sealed class HostOwnedChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        protected override void Dispose(bool disposing)
        {
            // The host registered the client and disposes it with its services.
        }
    }
}
