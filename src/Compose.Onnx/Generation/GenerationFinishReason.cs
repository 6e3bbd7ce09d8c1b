namespace Compose.Onnx.Generation;

/// <summary>Why a sequence stopped.</summary>
public enum GenerationFinishReason
{
    /// <summary>An end-of-sequence or stop token was produced.</summary>
    EndOfSequence,

    /// <summary>The request's maximum number of new tokens was reached.</summary>
    MaxTokens,

    /// <summary>The observer asked to stop (a stop sequence matched).</summary>
    StopSequence,

    /// <summary>The model's context length was reached.</summary>
    ContextFull,
}
