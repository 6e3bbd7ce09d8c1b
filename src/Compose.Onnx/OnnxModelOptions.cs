namespace Compose.Onnx;

/// <summary>How to load a model folder; everything optional.</summary>
public sealed record OnnxModelOptions
{
    public static OnnxModelOptions Default { get; } = new();

    /// <summary><c>compose</c> (default: Compose's decoder loop) or <c>genai</c> (ONNX Runtime GenAI's generator).</summary>
    public string Engine { get; init; } = "compose";

    /// <summary>Overrides the folder's provider_options: <c>cpu</c>, <c>cuda</c>, <c>dml</c>, ...</summary>
    public string? ExecutionProvider { get; init; }

    /// <summary>Overrides the chat format read from tokenizer_config.json (<c>chatml</c>, <c>llama3</c>, <c>phi3</c>, <c>mistral</c>, <c>plain</c>).</summary>
    public string? ChatFormat { get; init; }

    /// <summary>Most sequences decoded together in one batch.</summary>
    public int MaxBatch { get; init; } = 16;

    /// <summary>ONNX Runtime intra-op threads; null = the folder's session options or ONNX Runtime's default.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>
    /// How long the scheduler may wait for more requests to join a batch once the first arrives; it stops
    /// waiting sooner when none has arrived for a quarter of it, or the batch is full.
    /// </summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The default <see cref="PrefixCacheBytes"/>: 256 MiB.</summary>
    public const long DefaultPrefixCacheBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Bytes of key/value cache the model keeps from finished sequences so that a later prompt sharing a prefix with
    /// one of them (a continuation of an answer, a copy made by resampling, the same question asked again) prefills
    /// only the rest; 0 turns the prefix cache off. When a sequence finishes, the cache of its prompt and generated
    /// tokens is kept as one entry keyed by those token ids (an entry whose ids begin another's is dropped as
    /// redundant). A new prompt reuses the longest common token prefix with any entry, always leaving at least its
    /// last token to run. Entries are immutable, so any number of requests share one without copying it. When
    /// the entries together would hold more than this many bytes, the least recently used (stored or reused) whole
    /// entries are evicted until they fit; an entry larger than the limit is not kept.
    /// </summary>
    public long PrefixCacheBytes { get; init; } = DefaultPrefixCacheBytes;
}
