using System.Collections.Immutable;
using Compose.Onnx.Chat;
using Compose.Onnx.Config;
using Compose.Onnx.Generation;
using Compose.Onnx.Tokenization;

namespace Compose.Onnx;

/// <summary>
/// A loaded model folder that generates token sequences: the compose engine (<see cref="OnnxModel"/>, Compose's own
/// decoder loop on ONNX Runtime) or the genai engine (<see cref="GenAi.GenAiModel"/>, ONNX Runtime GenAI's generator).
/// Both read the folder's config, tokenize with Compose's tokenizer and format chats with Compose's chat formats, so
/// <see cref="OnnxChatClient"/> gives the same prompt token ids to either. Thread-safe; dispose to free the session.
/// </summary>
public interface IOnnxEngine : IDisposable
{
    /// <summary><c>compose</c> or <c>genai</c>.</summary>
    string EngineName { get; }

    string Folder { get; }

    GenAiConfig Config { get; }

    ModelTokenizer Tokenizer { get; }

    ChatFormat ChatFormat { get; }

    /// <summary>What this engine offers beyond plain generation.</summary>
    EngineFeatures Features { get; }

    /// <summary>Ids of a chat format's end-of-turn markers that are tokens of this model's vocabulary.</summary>
    ImmutableArray<int> StopTokenIdsFor(ChatFormat format);

    /// <summary>Generates one sequence; concurrent calls are batched as far as the engine can.</summary>
    Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What an engine offers beyond plain generation (shown by <c>compose models inspect</c>).</summary>
[Flags]
public enum EngineFeatures
{
    None = 0,

    /// <summary>Each generated token's log-probability.</summary>
    LogProbabilities = 1,

    /// <summary>A partial answer is continued (the chat format leaves the assistant's turn open).</summary>
    Continuation = 2,

    /// <summary>Output constrained to a set of choices (<see cref="GenerationRequest.Choices"/>).</summary>
    Choices = 4,

    /// <summary>Output constrained by a regular expression or a JSON schema (<see cref="GenerationRequest.Guidance"/>).</summary>
    Grammar = 8,

    /// <summary>Concurrent requests with different prompts share one batch.</summary>
    Batching = 16,

    /// <summary>A request arriving mid-generation joins the running batch.</summary>
    ContinuousBatching = 32,

    /// <summary>Finished sequences' key/value caches are reused by later prompts that share a prefix.</summary>
    PrefixCache = 64,

    /// <summary>This build can run the model on a CUDA GPU.</summary>
    Cuda = 128,
}
