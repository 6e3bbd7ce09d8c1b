using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Compose.Onnx.Chat;
using Compose.Onnx.Config;
using Compose.Onnx.Generation;
using Compose.Onnx.Tokenization;
using Oga = Microsoft.ML.OnnxRuntimeGenAI;

namespace Compose.Onnx.GenAi;

/// <summary>
/// The genai engine: a model folder run by ONNX Runtime GenAI's <c>Model</c> and <c>Generator</c>. Prompts are
/// rendered by Compose's chat formats and tokenized by Compose's tokenizer (ORT GenAI's chat template fails on
/// folders without a Jinja template its engine knows, and its tokenizer is not needed), so both engines see the same
/// prompt ids. Its managed API has no continuous batching: requests that arrive together, have prompts of one
/// length and can share one generator's search settings are run as one batch; a request arriving mid-generation
/// waits for the next batch. Sampling settings are per generator, so a request with its own seed runs alone.
/// Log-probabilities come from the raw logits the generator exposes (<c>GetOutput("logits")</c>) at every step.
/// Patterns and JSON schemas are enforced by the generator's guidance; a choice set becomes a pattern.
/// </summary>
public sealed class GenAiModel : IOnnxEngine
{
    /// <summary>The NuGet package with the native CUDA build of ONNX Runtime GenAI (a build-time choice: <c>-p:ComposeGenAiCuda=true</c>).</summary>
    public const string CudaPackage = "Microsoft.ML.OnnxRuntimeGenAI.Cuda";

    /// <summary>The NuGet package with the native CPU build of ONNX Runtime GenAI.</summary>
    public const string CpuPackage = "Microsoft.ML.OnnxRuntimeGenAI";

    private readonly Oga.Model _model;
    private readonly Lock _lock = new();
    private readonly List<SequenceState> _pending = [];
    private readonly HashSet<int> _eos;
    private readonly string _logitsName;
    private bool _workerRunning;
    private bool _disposed;

    private GenAiModel(string folder, GenAiConfig config, Oga.Model model, ModelTokenizer tokenizer, ChatFormat format, string formatSource, OnnxModelOptions options, bool cuda)
    {
        Folder = folder;
        Config = config;
        _model = model;
        Tokenizer = tokenizer;
        ChatFormat = format;
        ChatFormatSource = formatSource;
        Options = options;
        OnCuda = cuda;
        _eos = [.. config.EosTokenIds];
        _logitsName = config.Names.Logits;
    }

    public string EngineName => "genai";

    public string Folder { get; }

    public GenAiConfig Config { get; }

    public ModelTokenizer Tokenizer { get; }

    public ChatFormat ChatFormat { get; }

    /// <summary>Where the chat format came from.</summary>
    public string ChatFormatSource { get; }

    public OnnxModelOptions Options { get; }

    /// <summary>True when the model was loaded on the CUDA execution provider.</summary>
    public bool OnCuda { get; }

    /// <summary>Batches run and tokens generated, for tests and the benchmark.</summary>
    public GenAiStatistics Statistics { get; } = new();

    public EngineFeatures Features => StaticFeatures;

    /// <summary>For the benchmark: skip reading the logits, so every log-probability is reported as 0.</summary>
    internal bool SkipLogProbabilities { get; set; }

    /// <summary>
    /// Log-probabilities (from the logits), continuation (Compose's chat formats), choices and grammars (guidance),
    /// batching of requests issued together; CUDA only in a build with <see cref="CudaPackage"/>.
    /// </summary>
    public static EngineFeatures StaticFeatures =>
        EngineFeatures.LogProbabilities | EngineFeatures.Continuation | EngineFeatures.Choices | EngineFeatures.Grammar | EngineFeatures.Batching
        | (CudaBuild ? EngineFeatures.Cuda : EngineFeatures.None);

    /// <summary>True when this build references <see cref="CudaPackage"/> instead of the CPU native package.</summary>
    public static bool CudaBuild =>
#if COMPOSE_GENAI_CUDA
        true;
#else
        false;
#endif

    public ImmutableArray<int> StopTokenIdsFor(ChatFormat format) =>
        [.. format.StopMarkers.Select(m => Tokenizer.TryGetSpecialToken(m, out var id) ? id : -1).Where(id => id >= 0)];

    /// <summary>Loads a folder on ONNX Runtime GenAI; every problem is a <see cref="Language.DiagnosticException"/> naming the file.</summary>
    public static GenAiModel Load(string folder, OnnxModelOptions? options = null)
    {
        options ??= OnnxModelOptions.Default;
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw OnnxErrors.Fail(OnnxErrors.FolderNotFound, folder, "The model folder does not exist.");
        }

        // Compose's reader validates the folder first, so a broken folder gets the same diagnostics on both engines.
        var config = GenAiConfigReader.Read(folder);
        var configFile = Path.Combine(folder, GenAiConfigReader.FileName);
        var decoder = Path.Combine(folder, config.DecoderFile);
        if (!File.Exists(decoder))
        {
            throw OnnxErrors.Fail(OnnxErrors.MissingFile, decoder, $"The decoder file '{config.DecoderFile}' named by genai_config.json does not exist.",
                "Check model.decoder.filename in genai_config.json.");
        }

        if (config.Names.Layout == KvCacheLayout.Combined && !string.Equals(config.ModelType, "gpt2", StringComparison.OrdinalIgnoreCase))
        {
            throw OnnxErrors.Fail(OnnxErrors.EngineLacksFeature, configFile,
                $"The genai engine drives a combined key/value cache ({config.Names.PastNames}) only for model type gpt2; this folder's type is {config.ModelType}, for which ONNX Runtime GenAI feeds separate past key and value inputs.",
                "Use `engine: compose` (it reads both cache layouts), or export the model with separate past_key_values.%d.key/.value inputs.");
        }

        ChatFormat? forced = null;
        if (options.ChatFormat is { } name)
        {
            forced = ChatFormat.Find(name) ?? throw OnnxErrors.Fail(OnnxErrors.UnknownChatFormat, folder, $"Unknown chat format '{name}'.",
                $"Use one of: {string.Join(", ", ChatFormat.All.Select(f => f.Name))}.");
        }

        var tokenizer = ModelTokenizer.Load(folder);
        var (format, source) = forced is null ? ChatFormatDetector.Detect(folder, config.ModelType, tokenizer) : (forced, "pipeline option chat_format");
        var provider = (options.ExecutionProvider ?? config.Providers.FirstOrDefault()?.Name ?? "cpu").ToLowerInvariant();
        if (provider is not ("cpu" or "cuda"))
        {
            throw OnnxErrors.Fail(OnnxErrors.EngineLacksFeature, configFile, $"The genai engine runs on cpu or cuda here, not '{provider}'.",
                "Use `engine: compose` for other execution providers, or `device: cpu`.");
        }

        var cuda = provider == "cuda";
        if (cuda && !CudaBuild)
        {
            throw OnnxErrors.Fail(OnnxErrors.EngineUnavailable, configFile,
                $"CUDA was asked for on the genai engine, but this build has the CPU native library of ONNX Runtime GenAI ({CpuPackage}), not {CudaPackage}.",
                $"Build with `-p:ComposeGenAiCuda=true` (it references {CudaPackage}), or use `engine: compose` with `device: cuda` (built with `-p:ComposeOnnxRuntime=gpu`), or `device: cpu`.");
        }

        Oga.Config? ogaConfig = null;
        try
        {
            ogaConfig = new Oga.Config(folder);
            ogaConfig.ClearProviders();
            if (cuda)
            {
                ogaConfig.AppendProvider("cuda");
            }

            if (options.IntraOpThreads is { } threads)
            {
                ogaConfig.Overlay(JsonSerializer.Serialize(new { model = new { decoder = new { session_options = new { intra_op_num_threads = threads } } } }));
            }

            var model = new Oga.Model(ogaConfig);
            return new GenAiModel(folder, config, model, tokenizer, format, source, options, cuda);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            throw OnnxErrors.Fail(OnnxErrors.EngineUnavailable, configFile,
                $"The native library of ONNX Runtime GenAI could not be loaded: {Trim(e.InnerException?.Message ?? e.Message)}",
                cuda ? $"Build with `-p:ComposeGenAiCuda=true` so that {CudaPackage} is referenced, and install CUDA 12." : $"Restore {CpuPackage} (a default build references it), or use `engine: compose`.");
        }
        catch (Oga.OnnxRuntimeGenAIException e)
        {
            throw OnnxErrors.Fail(OnnxErrors.EngineLacksFeature, configFile,
                $"ONNX Runtime GenAI could not load the folder: {Trim(e.Message)}",
                "The folder uses something ONNX Runtime GenAI does not support; `engine: compose` may load it.");
        }
        finally
        {
            ogaConfig?.Dispose();
        }
    }

    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        (await GenerateBatchAsync([request], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Generates several sequences; those that can share search settings run in one batch.</summary>
    public async Task<IReadOnlyList<GenerationResult>> GenerateBatchAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var states = new SequenceState[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            Validate(requests[i]);
            states[i] = new SequenceState(requests[i], cancellationToken);
        }

        bool start;
        lock (_lock)
        {
            _pending.AddRange(states);
            start = !_workerRunning;
            _workerRunning = true;
        }

        if (start)
        {
            _ = Task.Run(WorkerAsync, CancellationToken.None);
        }

        var results = new GenerationResult[states.Length];
        for (var i = 0; i < states.Length; i++)
        {
            results[i] = await states[i].Completion.Task.ConfigureAwait(false);
        }

        return results;
    }

    private void Validate(GenerationRequest request)
    {
        if (request.PromptIds.Count == 0)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadOption, Folder, "The prompt is empty.", "Give at least one token (most formats start with a BOS token).");
        }

        if (request.PromptIds.Count + 1 > Config.ContextLength)
        {
            throw OnnxErrors.Fail(OnnxErrors.PromptTooLong, Path.Combine(Folder, GenAiConfigReader.FileName),
                $"The prompt has {request.PromptIds.Count} tokens; the model's context is {Config.ContextLength}.",
                "Shorten the prompt or the conversation.");
        }

        if (Config.VocabSize is { } vocab)
        {
            foreach (var id in request.PromptIds)
            {
                if ((uint)id >= (uint)vocab)
                {
                    throw OnnxErrors.Fail(OnnxErrors.TokenOutOfVocabulary, Tokenizer.File,
                        $"The prompt has token id {id}, but the model's vocabulary has {vocab} ids.",
                        "The tokenizer does not belong to this model (or the text uses tokens the model was not trained with).");
                }
            }
        }

        if (request.MaxNewTokens < 1)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadOption, Folder, $"max new tokens must be at least 1, not {request.MaxNewTokens}.");
        }

        if (!request.Choices.IsEmpty && request.Guidance is null)
        {
            throw OnnxErrors.Fail(OnnxErrors.ConstraintUnsupported, Folder, "The genai engine constrains output by guidance only (a pattern), not by token choices.",
                "Pass the choices as an OutputConstraint through the chat client, which turns them into a pattern.");
        }
    }

    private async Task WorkerAsync()
    {
        while (true)
        {
            await Task.Delay(Options.BatchWindow > TimeSpan.Zero ? Options.BatchWindow : TimeSpan.Zero).ConfigureAwait(false);
            List<SequenceState> batch;
            lock (_lock)
            {
                _pending.RemoveAll(s => s.Cancellation.IsCancellationRequested && s.Completion.TrySetCanceled(s.Cancellation));
                if (_pending.Count == 0 || _disposed)
                {
                    foreach (var s in _pending)
                    {
                        s.Completion.TrySetException(new ObjectDisposedException(nameof(GenAiModel)));
                    }

                    _pending.Clear();
                    _workerRunning = false;
                    if (_disposed)
                    {
                        _model.Dispose();
                    }

                    return;
                }

                batch = TakeBatch();
            }

            try
            {
                Run(batch);
            }
            catch (Oga.OnnxRuntimeGenAIException e)
            {
                var error = OnnxErrors.Fail(OnnxErrors.RunFailed, Path.Combine(Folder, Config.DecoderFile), $"ONNX Runtime GenAI failed while generating: {Trim(e.Message)}",
                    "The decoder does not behave as genai_config.json says, or the request's constraint was rejected; try `engine: compose`.");
                foreach (var s in batch)
                {
                    s.Completion.TrySetException(error);
                }
            }
            catch (Exception e)
            {
                foreach (var s in batch)
                {
                    s.Completion.TrySetException(e);
                }
            }
        }
    }

    /// <summary>The first pending request and every later one that can share its generator (under the lock).</summary>
    private List<SequenceState> TakeBatch()
    {
        var first = _pending[0];
        var batch = new List<SequenceState> { first };
        var max = Math.Max(Options.MaxBatch, 1);
        for (var i = 1; i < _pending.Count && batch.Count < max; i++)
        {
            if (CanShare(first.Request, _pending[i].Request))
            {
                batch.Add(_pending[i]);
            }
        }

        foreach (var s in batch)
        {
            _pending.Remove(s);
        }

        return batch;
    }

    /// <summary>
    /// Two requests share a generator when its search settings fit both: the same greedy or sampling settings (a
    /// request with its own seed runs alone, so its draw does not depend on what it was batched with) and the same
    /// guidance. Different prompts are left-padded with the pad id, which the generator masks out wherever it
    /// occurs; measured, padded rows diverge from single runs, so only prompts of one length share a generator.
    /// </summary>
    private bool CanShare(GenerationRequest a, GenerationRequest b)
    {
        if (!Equals(a.Guidance, b.Guidance) || a.StopAtEndOfSequence != b.StopAtEndOfSequence)
        {
            return false;
        }

        var sa = a.Sampling;
        var sb = b.Sampling;
        if (sa.IsGreedy != sb.IsGreedy)
        {
            return false;
        }

        if (!sa.IsGreedy && (sa.Seed is not null || sb.Seed is not null || sa.Temperature != sb.Temperature || sa.TopK != sb.TopK || sa.TopP != sb.TopP))
        {
            return false;
        }

        // Measured: ORT GenAI 0.18's left-padded rows diverge from single runs after the first token on the
        // project's test decoders, so only prompts of one length share a generator (no padding is needed).
        return a.PromptIds.Count == b.PromptIds.Count;
    }

    private void Run(List<SequenceState> batch)
    {
        var n = batch.Count;
        var length = batch.Max(s => s.Request.PromptIds.Count);
        var longest = batch.Max(s => s.Request.MaxNewTokens);
        var first = batch[0].Request;
        using var parameters = new Oga.GeneratorParams(_model);
        parameters.SetSearchOption("batch_size", n);
        parameters.SetSearchOption("max_length", Math.Min(Config.ContextLength, length + longest));
        var sampling = first.Sampling;
        parameters.SetSearchOption("do_sample", !sampling.IsGreedy);
        if (!sampling.IsGreedy)
        {
            parameters.SetSearchOption("temperature", sampling.Temperature);
            // top_k 0 is ORT GenAI's nucleus-only path (no limit on k, as TopK 0 means here); it rejects k above the vocabulary.
            parameters.SetSearchOption("top_k", sampling.TopK > 0 ? Math.Min(sampling.TopK, Config.VocabSize ?? sampling.TopK) : 0);
            parameters.SetSearchOption("top_p", sampling.TopP is > 0f and <= 1f ? sampling.TopP : 1f);
            if (sampling.Seed is { } seed)
            {
                parameters.SetSearchOption("random_seed", (double)(seed & 0x7FFFFFFF));
            }
        }

        if (first.Guidance is { } guidance)
        {
            var (type, data) = GuidanceOf(guidance);
            parameters.SetGuidance(type, data);
        }

        using var generator = new Oga.Generator(_model, parameters);
        var ids = new int[n * length];
        for (var r = 0; r < n; r++)
        {
            var prompt = batch[r].Request.PromptIds;
            var pad = length - prompt.Count;
            batch[r].Pad = pad;
            ids.AsSpan(r * length, pad).Fill(Config.PadTokenId);
            for (var j = 0; j < prompt.Count; j++)
            {
                ids[(r * length) + pad + j] = prompt[j];
            }
        }

        Statistics.AddBatch(n);
        generator.AppendTokens(ids);
        var live = n;
        var total = length;
        float[] row = [];
        while (live > 0 && !generator.IsDone())
        {
            generator.GenerateNextToken();
            total++;
            var next = generator.GetNextTokens();
            if (SkipLogProbabilities)
            {
                for (var r = 0; r < n; r++)
                {
                    if (!batch[r].IsDone && !Accept(batch[r], next[r], 0f, total))
                    {
                        live--;
                    }
                }

                continue;
            }

            using var logits = generator.GetOutput(_logitsName);
            var shape = logits.Shape();
            var vocab = (int)shape[^1];
            var positions = shape.Length == 3 ? (int)shape[1] : 1;
            if (row.Length < vocab)
            {
                row = new float[vocab];
            }

            for (var r = 0; r < n; r++)
            {
                var s = batch[r];
                if (s.IsDone)
                {
                    continue;
                }

                var offset = ((r * positions) + positions - 1) * vocab;
                LogitsRow(logits, offset, row.AsSpan(0, vocab));
                var token = next[r];
                var lp = (uint)token < (uint)vocab ? s.Sampler.LogSoftmaxAt(row.AsSpan(0, vocab), token) : float.NegativeInfinity;
                if (!Accept(s, token, lp, total))
                {
                    live--;
                }
            }
        }

        foreach (var s in batch.Where(s => !s.IsDone))
        {
            // The generator stopped every row at once (its max length or its own end of sequence).
            s.Finish(total >= Config.ContextLength ? GenerationFinishReason.ContextFull
                : s.Tokens.Count >= s.Request.MaxNewTokens ? GenerationFinishReason.MaxTokens
                : GenerationFinishReason.EndOfSequence);
        }
    }

    private static void LogitsRow(Oga.Tensor logits, int offset, Span<float> row)
    {
        switch (logits.Type())
        {
            case Oga.ElementType.float32:
                logits.GetData<float>().Slice(offset, row.Length).CopyTo(row);
                break;
            case Oga.ElementType.float16:
                var half = logits.GetData<Half>().Slice(offset, row.Length);
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = (float)half[i];
                }

                break;
            default:
                row.Fill(0f);
                break;
        }
    }

    /// <summary>Records a sampled token (<see cref="SequenceState.Accept"/>) and counts it; false when the sequence is finished.</summary>
    private bool Accept(SequenceState s, int token, float logProb, int total)
    {
        var before = s.Tokens.Count;
        var going = s.Accept(token, logProb, null, total, _eos, Config.ContextLength);
        Statistics.AddTokens(s.Tokens.Count - before);
        return going;
    }

    /// <summary>The guidance type and data ONNX Runtime GenAI takes for a constraint.</summary>
    internal static (string Type, string Data) GuidanceOf(Compose.Models.OutputConstraint constraint) => constraint.Kind switch
    {
        Compose.Models.OutputConstraintKind.Choice => ("regex", string.Join("|", constraint.Choices.Select(EscapeRegex))),
        Compose.Models.OutputConstraintKind.Pattern => ("regex", constraint.Pattern!),
        _ => ("json_schema", constraint.Pattern!),
    };

    /// <summary>Escapes every regex metacharacter (llguidance's syntax is Rust's regex: .NET's Regex.Escape leaves some alone).</summary>
    private static string EscapeRegex(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length * 2);
        foreach (var c in text)
        {
            if (@"\.+*?()|[]{}^$#&-~ ".Contains(c, StringComparison.Ordinal))
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    private static string Trim(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length > 400 ? line[..400] + "..." : line;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_workerRunning)
            {
                return; // the worker frees the model when its batch ends
            }
        }

        _model.Dispose();
    }
}

/// <summary>Counters of the genai engine.</summary>
public sealed class GenAiStatistics
{
    private long _batches;
    private long _rows;
    private long _tokens;

    /// <summary>Generators run.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Sequences generated, over all batches.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    public long GeneratedTokens => Interlocked.Read(ref _tokens);

    internal void AddBatch(int rows)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _rows, rows);
    }

    internal void AddTokens(int n) => Interlocked.Add(ref _tokens, n);

    public void Reset()
    {
        Interlocked.Exchange(ref _batches, 0);
        Interlocked.Exchange(ref _rows, 0);
        Interlocked.Exchange(ref _tokens, 0);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Batches} batches, {Rows} rows, {GeneratedTokens} tokens");
}
