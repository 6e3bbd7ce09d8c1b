using Compose.Language;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Compose.Models;

/// <summary>
/// Turns a <see cref="ModelSpec"/> of one provider kind (<c>openai</c>, <c>scripted</c>, <c>pipeline</c>,
/// <c>onnx</c>, ...) into an <see cref="IChatClient"/>. Providers are plugged in through
/// <see cref="ModelProviderCatalog"/>; the language knows none of them.
/// </summary>
public interface IModelProvider
{
    /// <summary>The value of <c>provider:</c> this provider answers to.</summary>
    string Name { get; }

    /// <summary>Checks the model's options without creating anything; every problem as a diagnostic with its location.</summary>
    IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context);

    /// <summary>
    /// Creates the bare client. Cross-cutting middleware (usage, budget, retries, telemetry) is added
    /// by the runtime around it; a provider adds only what is specific to it.
    /// </summary>
    IChatClient Create(ModelSpec spec, ModelProviderContext context);

    /// <summary>
    /// What the compiler may know of the model before any call: its context and how many tokens a prompt takes.
    /// Null when the provider cannot tell without calling (a remote server) or the spec has errors. Must not throw.
    /// </summary>
    ModelLimits? Limits(ModelSpec spec, ModelProviderContext context) => null;

    /// <summary>
    /// What the model offers beyond plain chat, for the compiler to match against what techniques need. Only what
    /// the provider can promise for this spec without calling; <see cref="ModelCapabilities.None"/> by default. Must not throw.
    /// </summary>
    ModelCapabilities Capabilities(ModelSpec spec, ModelProviderContext context) => ModelCapabilities.None;
}

/// <summary>What a model offers beyond plain chat; a technique that needs one is checked against its models' providers at compile time.</summary>
[Flags]
public enum ModelCapabilities
{
    None = 0,

    /// <summary>Each reply carries the log-probability of its tokens (<c>logprob_sum</c> in the reply's additional properties).</summary>
    LogProbabilities = 1,

    /// <summary>The model continues a partial answer given as the last (assistant) message instead of starting anew.</summary>
    Continuation = 2,

    /// <summary>The model's output can be constrained to a set of choices (<see cref="OutputConstraint.OneOf"/>, a verifier's yes/no).</summary>
    ConstrainedOutput = 4,

    /// <summary>The model's output can be constrained to a regular expression or a JSON schema (<see cref="ChatConstraint"/>).</summary>
    ConstrainedGrammar = 8,
}

/// <summary>
/// A model's context (prompt and answer tokens together) and a way to count the tokens of a prompt: the
/// user's text as the model will see it, chat formatting included.
/// </summary>
public sealed record ModelLimits(int ContextTokens, Func<string, int> CountPromptTokens);

/// <summary>What a provider may use while checking or creating a model.</summary>
public sealed record ModelProviderContext
{
    /// <summary>Directory relative paths in the pipeline file resolve against.</summary>
    public required string BaseDirectory { get; init; }

    /// <summary>The catalog, for providers that build other pipelines (the <c>pipeline</c> provider).</summary>
    public required ModelProviderCatalog Catalog { get; init; }

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Reads an environment variable; replaceable in tests.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Pipeline files already being loaded up the chain, to detect cycles.</summary>
    public IReadOnlyList<string> PipelineChain { get; init; } = [];

    /// <summary>Host services (for example chat clients registered by a Semantic Kernel app), if any.</summary>
    public IServiceProvider? Services { get; init; }

    /// <summary>Bounds on the files a provider reads and the folders a model's paths may name (docs/security.md).</summary>
    public Compose.IO.FileAccessPolicy Files { get; init; } = Compose.IO.FileAccessPolicy.Default;

    /// <summary>
    /// The context for one model: its relative paths resolve against (and are confined to) the folder of the
    /// file that defines it — the pipeline, or a <c>--models</c> file bound over it.
    /// </summary>
    public ModelProviderContext For(ModelSpec spec)
    {
        var file = spec.Location.File;
        if (string.IsNullOrEmpty(file))
        {
            return this;
        }

        try
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(file));
            return string.IsNullOrEmpty(folder) || folder == BaseDirectory ? this : this with { BaseDirectory = folder };
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return this;
        }
    }

    /// <summary>Resolves a path a model names to its real path, confined to <see cref="BaseDirectory"/>'s tree or an allowed folder.</summary>
    public (string? Path, Compose.IO.FileError? Error) ResolvePath(string name, string what) =>
        Compose.IO.SafePath.Confine(BaseDirectory, name, Files, what);
}
