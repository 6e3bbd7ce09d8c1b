namespace Compose.Onnx.Config;

/// <summary>How a decoder takes its key/value cache.</summary>
public enum KvCacheLayout
{
    /// <summary>One tensor per layer, <c>past_%d</c> shaped [2, batch, kv heads, length, head size] (gpt2).</summary>
    Combined,

    /// <summary>Two tensors per layer, <c>past_key_values.%d.key</c> and <c>.value</c>, shaped [batch, kv heads, length, head size].</summary>
    Separate,
}
