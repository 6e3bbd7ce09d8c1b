namespace Compose.Onnx;

/// <summary>How to load a model folder; everything optional.</summary>
public sealed record OnnxModelOptions
{
    public static OnnxModelOptions Default { get; } = new();

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
}
