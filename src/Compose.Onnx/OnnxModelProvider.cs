using System.Collections.Concurrent;
using System.Globalization;
using Compose.Language;
using Compose.Models;
using Compose.Onnx.Chat;
using Compose.Onnx.Config;
using Compose.Onnx.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Onnx;

/// <summary>
/// <c>provider: onnx</c>: runs an ONNX Runtime GenAI model folder locally. Options: <c>path</c> (required,
/// relative to the pipeline file), <c>chat_format</c>, <c>execution_provider</c>, <c>max_batch</c>,
/// <c>engine</c> (<c>compose</c>, the default: Compose's own decoder loop on ONNX Runtime; <c>genai</c>: ONNX Runtime
/// GenAI's generator), <c>device</c> (<c>cpu</c> or <c>cuda</c>), <c>prefix_cache_mb</c> (MiB of key/value cache kept for prompts that share a prefix, 0 = off; see
/// <see cref="OnnxModelOptions.PrefixCacheBytes"/>). Loaded models are cached per folder (and execution provider,
/// batch size and prefix cache size) so several model names over one folder share one session.
/// </summary>
public sealed class OnnxModelProvider : IModelProvider, IDisposable
{
    private static readonly string[] KnownKeys = ["path", "engine", "device", "chat_format", "execution_provider", "max_batch", "prefix_cache_mb"];

    /// <summary>The values of <c>engine:</c>; the first is the default.</summary>
    public static readonly IReadOnlyList<string> Engines = ["compose", "genai"];

    /// <summary>The values of <c>device:</c>.</summary>
    public static readonly IReadOnlyList<string> Devices = ["cpu", "cuda"];

    /// <summary>Keys every model may carry, whether or not the language strips them from the options.</summary>
    private static readonly string[] CommonKeys = ["provider", "concurrency", "description", "name"];
    /// <summary>The largest <c>prefix_cache_mb</c> accepted: 1 TiB.</summary>
    private const int MaxPrefixCacheMb = 1024 * 1024;

    private readonly ConcurrentDictionary<string, Lazy<IOnnxEngine>> _models = new(StringComparer.Ordinal);

    public string Name => "onnx";

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context)
    {
        var diagnostics = new List<Diagnostic>();
        var options = new ModelOptionsReader(Name, spec, diagnostics);
        options.Known(
            KnownKeys,
            new(OnnxErrors.BadOption, key => $"Unknown option '{key}' for provider onnx.",
                key => DidYouMean(key, KnownKeys) is { } k ? $"Did you mean '{k}'?" : $"Known options: {string.Join(", ", KnownKeys)}."),
            alsoAccepted: CommonKeys);

        var path = options.Required(
            "path",
            new(OnnxErrors.MissingPath, $"Model '{spec.Name}' (provider onnx) needs a `path` to a model folder.",
                "Add `path: models/your-model` (a folder with genai_config.json, model.onnx and tokenizer.json)."),
            RequiredText.NotEmpty);
        if (path is not null)
        {
            var folder = Path.GetFullPath(Path.Combine(context.BaseDirectory, path.Value));
            if (!Directory.Exists(folder))
            {
                diagnostics.Add(Diagnostic.Error(OnnxErrors.FolderNotFound, path.Location, $"Model folder '{folder}' does not exist.",
                    "Paths are relative to the pipeline file."));
            }
            else if (!File.Exists(Path.Combine(folder, GenAiConfigReader.FileName)))
            {
                diagnostics.Add(Diagnostic.Error(OnnxErrors.MissingFile, path.Location, $"'{folder}' has no {GenAiConfigReader.FileName}.",
                    "Point `path` at a folder produced by the ONNX Runtime GenAI model builder."));
            }
        }

        var formats = ChatFormat.All.Select(f => f.Name).ToArray();
        options.Text(
            "chat_format",
            new(OnnxErrors.UnknownChatFormat, given => $"Unknown chat format '{given}'.",
                given => DidYouMean(given, formats) is { } m ? $"Did you mean '{m}'? Known: {string.Join(", ", formats)}." : $"Known: {string.Join(", ", formats)}."),
            name => ChatFormat.Find(name) is not null);

        var providers = SessionFactory.ProviderNames.ToArray();
        options.Text(
            "execution_provider",
            new(OnnxErrors.BadOption, given => $"Unknown execution provider '{given}'.",
                given => DidYouMean(given, providers) is { } m ? $"Did you mean '{m}'?" : $"Known: {string.Join(", ", providers)}."),
            SessionFactory.IsKnownProvider);

        var engine = options.Word("engine", Engines, new(OnnxErrors.BadOption, given => $"Unknown engine '{given}'.",
            given => DidYouMean(given, Engines) is { } m ? $"Did you mean '{m}'? Known: {string.Join(", ", Engines)}." : $"Known: {string.Join(", ", Engines)}.")) ?? Engines[0];
        var device = options.Word("device", Devices, new(OnnxErrors.BadOption, given => $"Unknown device '{given}'.",
            given => DidYouMean(given, Devices) is { } m ? $"Did you mean '{m}'? Known: {string.Join(", ", Devices)}." : $"Known: {string.Join(", ", Devices)}."));
        var location = (spec.Options["device"] as SpecScalar)?.Location ?? spec.Location;
        if (device is not null && spec.GetString("execution_provider") is { } ep && !string.Equals(ep, device, StringComparison.OrdinalIgnoreCase))
        {
            diagnostics.Add(Diagnostic.Error(OnnxErrors.BadOption, location, $"device: {device} contradicts execution_provider: {ep}.", "Keep one of them."));
        }
        else if (device == "cuda" && engine == "genai" && !GenAi.GenAiModel.CudaBuild)
        {
            diagnostics.Add(Diagnostic.Error(OnnxErrors.EngineUnavailable, location,
                $"Model '{spec.Name}' asks for CUDA on the genai engine, but this build of Compose has the CPU native library of ONNX Runtime GenAI, not {GenAi.GenAiModel.CudaPackage}.",
                $"Build Compose with `-p:ComposeGenAiCuda=true` (it references {GenAi.GenAiModel.CudaPackage}), use `engine: compose` (CUDA with `-p:ComposeOnnxRuntime=gpu`), or `device: cpu`."));
        }
        else if (device == "cuda" && engine == "compose" && !SessionFactory.HasCuda)
        {
            diagnostics.Add(Diagnostic.Error(OnnxErrors.ProviderUnavailable, location,
                $"Model '{spec.Name}' asks for CUDA, but this build's ONNX Runtime (Microsoft.ML.OnnxRuntime) has no CUDA execution provider.",
                "Build Compose with `-p:ComposeOnnxRuntime=gpu` (it references Microsoft.ML.OnnxRuntime.Gpu; CUDA 12 and cuDNN 9 on the machine), or `device: cpu`."));
        }

        if (engine == "genai" && spec.Options["prefix_cache_mb"] is SpecScalar pcm)
        {
            diagnostics.Add(Diagnostic.Warning(OnnxErrors.EngineLacksFeature, pcm.Location, "prefix_cache_mb has no effect on the genai engine: it keeps no cache between requests.",
                "Remove it, or use `engine: compose`."));
        }

        options.Int("max_batch", 1, int.MaxValue, new(OnnxErrors.BadOption, "max_batch must be a positive integer."));
        var prefixCache = options.Int("prefix_cache_mb", 0, MaxPrefixCacheMb, new(OnnxErrors.BadOption, $"prefix_cache_mb must be a whole number of MiB from 0 (off) to {MaxPrefixCacheMb}."));
        if (engine == "compose" && prefixCache > 0 && path is not null && spec.Options["prefix_cache_mb"] is SpecScalar cacheOption
            && UsesGroupQueryAttention(Path.GetFullPath(Path.Combine(context.BaseDirectory, path.Value))))
        {
            diagnostics.Add(Diagnostic.Warning(OnnxErrors.EngineLacksFeature, cacheOption.Location,
                $"prefix_cache_mb has no effect on model '{spec.Name}': its decoder attends with GroupQueryAttention, which the compose engine runs one prompt length per batch, keeping no prefix cache.",
                "Remove it (requests of one length still batch together), or use a folder whose decoder uses plain attention."));
        }

        return diagnostics;
    }

    /// <summary>Whether the folder's decoder uses GroupQueryAttention (read from its graph, weights skipped); false when it cannot be read.</summary>
    private static bool UsesGroupQueryAttention(string folder)
    {
        try
        {
            if (!File.Exists(Path.Combine(folder, GenAiConfigReader.FileName)))
            {
                return false;
            }

            var config = GenAiConfigReader.Read(folder);
            return Runtime.DecoderGraph.Read(Path.Combine(folder, config.DecoderFile)).UsesGroupQueryAttention;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false; // the folder's other problems are reported when it loads
        }
    }

    public IChatClient Create(ModelSpec spec, ModelProviderContext context)
    {
        var errors = Check(spec, context).Where(d => d.IsError).ToList();
        if (errors.Count > 0)
        {
            throw new DiagnosticException(errors);
        }

        var folder = Path.GetFullPath(Path.Combine(context.BaseDirectory, spec.GetString("path")!));
        var options = new OnnxModelOptions
        {
            Engine = spec.GetString("engine") ?? Engines[0],
            ExecutionProvider = spec.GetString("execution_provider") ?? spec.GetString("device"),
            MaxBatch = spec.GetString("max_batch") is { } mb ? int.Parse(mb, CultureInfo.InvariantCulture) : OnnxModelOptions.Default.MaxBatch,
            PrefixCacheBytes = spec.GetString("prefix_cache_mb") is { } pc
                ? int.Parse(pc, CultureInfo.InvariantCulture) * 1024L * 1024L
                : OnnxModelOptions.Default.PrefixCacheBytes,
        };
        var model = GetOrLoad(folder, options);
        var format = spec.GetString("chat_format") is { } f ? ChatFormat.Find(f) : null;
        return new OnnxChatClient(model, format, spec.Name);
    }

    /// <summary>
    /// Every reply carries its tokens' log-probabilities and their sum (<c>logprobs</c>, <c>logprob_sum</c>), a
    /// partial answer can be continued (<see cref="ChatContinuation"/>): the chat format leaves the assistant's turn
    /// open, and output can be constrained to a set of choices (<see cref="ChatConstraint"/>); the genai engine also
    /// constrains it to a pattern or a JSON schema (its guidance).
    /// </summary>
    public ModelCapabilities Capabilities(ModelSpec spec, ModelProviderContext context) =>
        CapabilitiesOf(spec.GetString("engine") == "genai" ? GenAi.GenAiModel.StaticFeatures : OnnxModel.StaticFeatures);

    /// <summary>The pipeline-level capabilities an engine's features give.</summary>
    public static ModelCapabilities CapabilitiesOf(EngineFeatures features) =>
        (features.HasFlag(EngineFeatures.LogProbabilities) ? ModelCapabilities.LogProbabilities : ModelCapabilities.None)
        | (features.HasFlag(EngineFeatures.Continuation) ? ModelCapabilities.Continuation : ModelCapabilities.None)
        | (features.HasFlag(EngineFeatures.Choices) ? ModelCapabilities.ConstrainedOutput : ModelCapabilities.None)
        | (features.HasFlag(EngineFeatures.Grammar) ? ModelCapabilities.ConstrainedGrammar : ModelCapabilities.None);

    /// <summary>The context and prompt-token count of the folder's model: its config, tokenizer and chat format, without a session.</summary>
    public ModelLimits? Limits(ModelSpec spec, ModelProviderContext context)
    {
        if (Check(spec, context).Any(d => d.IsError))
        {
            return null;
        }

        var folder = Path.GetFullPath(Path.Combine(context.BaseDirectory, spec.GetString("path")!));
        try
        {
            var (config, tokenizer, format) = _light.GetOrAdd(folder, f =>
            {
                var c = GenAiConfigReader.Read(f);
                var t = Tokenization.ModelTokenizer.Load(f);
                return (c, t, ChatFormatDetector.Detect(f, c.ModelType, t).Format);
            });
            var chat = spec.GetString("chat_format") is { } name ? ChatFormat.Find(name) ?? format : format;
            return new ModelLimits(config.ContextLength, text => tokenizer.Encode(chat.Render([new ChatMessage(ChatRole.User, text)])).Count);
        }
        catch (Exception ex) when (ex is DiagnosticException or IOException or UnauthorizedAccessException)
        {
            return null; // building the model reports the problem with its location
        }
    }

    private readonly ConcurrentDictionary<string, (GenAiConfig Config, Tokenization.ModelTokenizer Tokenizer, ChatFormat Format)> _light = new(StringComparer.Ordinal);

    /// <summary>The cached model for a folder, loading it on first use.</summary>
    public IOnnxEngine GetOrLoad(string folder, OnnxModelOptions options)
    {
        var key = $"{Path.GetFullPath(folder)}|{options.Engine}|{options.ExecutionProvider}|{options.MaxBatch}|{options.PrefixCacheBytes}";
        var lazy = _models.GetOrAdd(key, _ => new Lazy<IOnnxEngine>(
            () => options.Engine == "genai" ? GenAi.GenAiModel.Load(folder, options) : OnnxModel.Load(folder, options),
            LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _models.TryRemove(new KeyValuePair<string, Lazy<IOnnxEngine>>(key, lazy));
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _models.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Dispose();
        }

        _models.Clear();
    }

    internal static string? DidYouMean(string given, IEnumerable<string> candidates) =>
        Compose.Language.DidYouMean.Suggest(given, candidates);
}
