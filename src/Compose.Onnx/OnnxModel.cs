using System.Collections.Immutable;
using Compose.Onnx.Chat;
using Compose.Onnx.Config;
using Compose.Onnx.Generation;
using Compose.Onnx.Runtime;
using Compose.Onnx.Tokenization;
using Microsoft.ML.OnnxRuntime;

namespace Compose.Onnx;

/// <summary>
/// A loaded GenAI model folder: config, ONNX Runtime session, tokenizer and chat format, plus a
/// scheduler that batches concurrent requests and a prefix cache of finished sequences' keys and values
/// (<see cref="OnnxModelOptions.PrefixCacheBytes"/>). Thread-safe; dispose to free the session.
/// </summary>
public sealed class OnnxModel : IOnnxEngine
{
    private readonly InferenceSession _session;
    private readonly DecoderRunner _runner;
    private readonly Lock _lock = new();
    private readonly List<SequenceState> _pending = [];
    private bool _workerRunning;
    private bool _disposed;

    private OnnxModel(string folder, GenAiConfig config, DecoderGraph graph, InferenceSession session, DecoderInterface io, ModelTokenizer tokenizer,
        ChatFormat chatFormat, string chatFormatSource, ImmutableArray<ExecutionProviderConfig> providers, OnnxModelOptions options)
    {
        Folder = folder;
        Config = config;
        Graph = graph;
        _session = session;
        Interface = io;
        Tokenizer = tokenizer;
        ChatFormat = chatFormat;
        ChatFormatSource = chatFormatSource;
        ExecutionProviders = providers;
        Options = options;
        var prefixCache = options.PrefixCacheBytes > 0 && !OneLengthBatches ? new PrefixCache(options.PrefixCacheBytes, Statistics) : null;
        _runner = new DecoderRunner(session, config, io, Statistics, Path.Combine(folder, config.DecoderFile), prefixCache);
        StopTokenIds = StopTokenIdsFor(chatFormat);
    }

    /// <summary><c>compose</c>: Compose's own decoder loop.</summary>
    public string EngineName => "compose";

    /// <summary>
    /// Log-probabilities, continuation, choice constraints (logit masking), continuous batching and the prefix cache;
    /// CUDA when this build's ONNX Runtime has the CUDA execution provider (<c>-p:ComposeOnnxRuntime=gpu</c>).
    /// </summary>
    public EngineFeatures Features => StaticFeatures;

    /// <summary>What the compose engine offers in this build, without loading a model.</summary>
    public static EngineFeatures StaticFeatures =>
        EngineFeatures.LogProbabilities | EngineFeatures.Continuation | EngineFeatures.Choices | EngineFeatures.Batching
        | EngineFeatures.ContinuousBatching | EngineFeatures.PrefixCache | (SessionFactory.HasCuda ? EngineFeatures.Cuda : EngineFeatures.None);

    public string Folder { get; }
    public GenAiConfig Config { get; }

    /// <summary>The model-builder operators the decoder uses (GroupQueryAttention, MatMulNBits, ...).</summary>
    public DecoderGraph Graph { get; }

    /// <summary>
    /// The decoder attends with com.microsoft GroupQueryAttention, which takes each row's keys from the start of its
    /// buffer (the lengths come from the mask's row sums, not from where its zeros are), while this runner left-pads rows
    /// of different lengths. So such a decoder runs only rows that need no padding together: a batch holds prompts of
    /// one length, nothing joins it mid-run, and the prefix cache (which right-aligns reused prefixes) is off.
    /// </summary>
    public bool OneLengthBatches => Graph.UsesGroupQueryAttention;

    public DecoderInterface Interface { get; }
    public ModelTokenizer Tokenizer { get; }
    public ChatFormat ChatFormat { get; }

    /// <summary>Where the chat format came from (the pipeline file, tokenizer_config.json, the model type, ...).</summary>
    public string ChatFormatSource { get; }

    public ImmutableArray<ExecutionProviderConfig> ExecutionProviders { get; }
    public OnnxModelOptions Options { get; }
    public RunStatistics Statistics { get; } = new();

    /// <summary>Ids of the chat format's end-of-turn markers (e.g. &lt;|im_end|&gt;) present in the vocabulary.</summary>
    public ImmutableArray<int> StopTokenIds { get; }

    /// <summary>Ids of a chat format's end-of-turn markers that are tokens of this model's vocabulary.</summary>
    public ImmutableArray<int> StopTokenIdsFor(ChatFormat format) =>
        [.. format.StopMarkers.Select(m => Tokenizer.TryGetSpecialToken(m, out var id) ? id : -1).Where(id => id >= 0)];

    /// <summary>Loads a folder; every problem is a <see cref="Language.DiagnosticException"/> naming the file.</summary>
    public static OnnxModel Load(string folder, OnnxModelOptions? options = null)
    {
        options ??= OnnxModelOptions.Default;
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw OnnxErrors.Fail(OnnxErrors.FolderNotFound, folder, "The model folder does not exist.");
        }

        var config = GenAiConfigReader.Read(folder);
        ChatFormat? forced = null;
        if (options.ChatFormat is { } name)
        {
            forced = ChatFormat.Find(name) ?? throw OnnxErrors.Fail(OnnxErrors.UnknownChatFormat, folder, $"Unknown chat format '{name}'.",
                $"Use one of: {string.Join(", ", ChatFormat.All.Select(f => f.Name))}.");
        }

        var tokenizer = ModelTokenizer.Load(folder);
        var (format, source) = forced is null ? ChatFormatDetector.Detect(folder, config.ModelType, tokenizer) : (forced, "pipeline option chat_format");
        var providers = SessionFactory.Resolve(config, options.ExecutionProvider);
        var file = Path.Combine(folder, config.DecoderFile);
        var graph = new DecoderGraph(); // a missing decoder: SessionFactory names it
        if (File.Exists(file))
        {
            OnnxErrors.RequireRegular(file); // never open a FIFO or a device
            graph = DecoderGraph.Read(file);
        }

        RefuseUnsupported(graph, file);
        var session = SessionFactory.Create(file, config, providers, options.IntraOpThreads);
        try
        {
            var io = DecoderInterface.Discover(session, config, file);
            return new OnnxModel(folder, config, graph, session, io, tokenizer, format, source, providers, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The model-builder features this engine cannot drive, each named (ONNX018): a paged key/value cache
    /// (PagedAttention's block tables), a quantized key/value cache (GroupQueryAttention's kv_cache_bit_width, with scale
    /// inputs) and a window-sized cache (sliding_window_cache). Each needs the engine to manage the cache in the
    /// operator's own layout; the runner feeds float caches that grow by the present the graph returns.
    /// </summary>
    internal static void RefuseUnsupported(DecoderGraph graph, string file)
    {
        var missing = new List<string>();
        if (graph.UsesPagedAttention)
        {
            missing.Add("a paged key/value cache (com.microsoft PagedAttention: block tables and sequence-length inputs)");
        }

        if (graph.KvCacheBits is { } bits)
        {
            missing.Add($"a quantized key/value cache ({bits}-bit: GroupQueryAttention kv_cache_bit_width, k_scale/v_scale)");
        }

        if (graph.SlidingWindowCache)
        {
            missing.Add("a window-sized key/value cache (GroupQueryAttention sliding_window_cache)");
        }

        if (missing.Count > 0)
        {
            throw OnnxErrors.Fail(OnnxErrors.ComposeEngineLacksFeature, file,
                $"The compose engine cannot run this decoder: it uses {string.Join("; ", missing)}.",
                "Use `engine: genai` (ONNX Runtime GenAI drives the model builder's cache layouts), or re-export the model without that option.");
        }
    }

    /// <summary>Generates one sequence; concurrent calls are batched together (and identical prompts prefilled once).</summary>
    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        (await GenerateBatchAsync([request], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Generates several sequences; they join the same batch (up to <see cref="OnnxModelOptions.MaxBatch"/>).</summary>
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
        if (request.Guidance is { } guidance)
        {
            throw OnnxErrors.Fail(OnnxErrors.ConstraintUnsupported, Folder, $"The compose engine cannot constrain output to {guidance}.",
                "Use `engine: genai` (its guidance handles patterns and JSON schemas); the compose engine constrains only to a set of choices.");
        }

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

        if (Interface.VocabSize is { } vocab)
        {
            foreach (var id in request.PromptIds)
            {
                if ((uint)id >= (uint)vocab)
                {
                    throw OnnxErrors.Fail(OnnxErrors.TokenOutOfVocabulary, Tokenizer.File,
                        $"The prompt has token id {id}, but the decoder's vocabulary has {vocab} ids.",
                        "The tokenizer does not belong to this model (or the text uses tokens the model was not trained with).");
                }
            }
        }

        if (request.MaxNewTokens < 1)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadOption, Folder, $"max new tokens must be at least 1, not {request.MaxNewTokens}.");
        }
    }

    private async Task WorkerAsync()
    {
        while (true)
        {
            await GatherAsync().ConfigureAwait(false);

            List<SequenceState> batch;
            lock (_lock)
            {
                _pending.RemoveAll(s => s.Cancellation.IsCancellationRequested && s.Completion.TrySetCanceled(s.Cancellation));
                if (_pending.Count == 0 || _disposed)
                {
                    foreach (var s in _pending)
                    {
                        s.Completion.TrySetException(new ObjectDisposedException(nameof(OnnxModel)));
                    }

                    _pending.Clear();
                    _workerRunning = false;
                    if (_disposed)
                    {
                        _session.Dispose(); // Dispose() left it to the worker, which was mid-batch
                    }

                    return;
                }

                var n = Math.Min(Math.Max(Options.MaxBatch, 1), _pending.Count);
                if (OneLengthBatches)
                {
                    var length = _pending[0].Request.PromptIds.Count;
                    batch = [.. _pending.Where(s => s.Request.PromptIds.Count == length).Take(n)];
                    _pending.RemoveAll(batch.Contains);
                }
                else
                {
                    batch = _pending.GetRange(0, n);
                    _pending.RemoveRange(0, n);
                }
            }

            try
            {
                _runner.Run(batch, Math.Max(Options.MaxBatch, 1), OneLengthBatches ? null : TakeWaiting);
            }
            catch (Exception e)
            {
                // Run completes its sequences itself; this only guards the scheduler against a bug there.
                foreach (var s in batch)
                {
                    s.Completion.TrySetException(e);
                }
            }
        }
    }

    /// <summary>Hands the running batch up to <paramref name="count"/> waiting sequences to join it.</summary>
    private IReadOnlyList<SequenceState> TakeWaiting(int count)
    {
        lock (_lock)
        {
            _pending.RemoveAll(s => s.Cancellation.IsCancellationRequested && s.Completion.TrySetCanceled(s.Cancellation));
            if (_pending.Count == 0 || _disposed)
            {
                return [];
            }

            var n = Math.Min(count, _pending.Count);
            var taken = _pending.GetRange(0, n);
            _pending.RemoveRange(0, n);
            return taken;
        }
    }

    /// <summary>
    /// Lets requests issued together (N samples of one prompt, parallel pipeline branches) join one batch:
    /// yields until no new request has arrived for a short while, within <see cref="OnnxModelOptions.BatchWindow"/>.
    /// </summary>
    private async Task GatherAsync()
    {
        var window = Options.BatchWindow;
        if (window <= TimeSpan.Zero)
        {
            return;
        }

        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var quiet = TimeSpan.FromTicks(Math.Max(1, window.Ticks / 4));
        var lastChange = start;
        var seen = -1;
        while (true)
        {
            int count;
            lock (_lock)
            {
                count = _pending.Count;
            }

            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (count != seen)
            {
                seen = count;
                lastChange = now;
            }

            if (count >= Options.MaxBatch
                || System.Diagnostics.Stopwatch.GetElapsedTime(start, now) >= window
                || System.Diagnostics.Stopwatch.GetElapsedTime(lastChange, now) >= quiet)
            {
                return;
            }

            await Task.Yield();
        }
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
                return; // the worker frees the session when its batch ends
            }
        }

        _session.Dispose();
    }
}
