namespace Compose.Onnx.Tokenization;

/// <summary>The tokenizer families the runner reads.</summary>
public enum TokenizerKind
{
    /// <summary>Byte-level BPE (GPT-2, Llama 3, Qwen, Phi 4): tokenizer.json with a ByteLevel pre-tokenizer or decoder.</summary>
    ByteLevelBpe,

    /// <summary>SentencePiece-style BPE with '▁' for spaces and &lt;0xNN&gt; byte fallback (Llama 2, Mistral, Phi 3): tokenizer.json.</summary>
    SentencePieceBpe,

    /// <summary>A SentencePiece model file (tokenizer.model) read by Microsoft.ML.Tokenizers' LlamaTokenizer.</summary>
    SentencePieceModel,
}
