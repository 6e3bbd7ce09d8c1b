namespace Compose.Onnx.Generation;

/// <summary>How the next token is chosen. Temperature 0 (or less) means greedy.</summary>
public sealed record SamplingSettings
{
    public static SamplingSettings Greedy { get; } = new();

    public float Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens; 0 = no limit.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p; 1 = no limit.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Seed of the random draw; null = a fresh random seed.</summary>
    public long? Seed { get; init; }

    public bool IsGreedy => Temperature <= 0f;
}
