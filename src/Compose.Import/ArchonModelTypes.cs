using System.Collections.Immutable;

namespace Compose.Import;

/// <summary>
/// How each Archon <c>model_type</c> becomes an <c>openai</c>-provider model: the base URL of the vendor's
/// OpenAI-compatible endpoint, the environment variable Archon reads the key from, and what the user must supply.
/// </summary>
internal sealed record ArchonModelType(string Name, string? BaseUrl, string? KeyVariable, string Note)
{
    /// <summary>Archon's generator functions (<c>GENERATE_MAP</c> and vLLM), in Archon's words.</summary>
    public static ImmutableArray<ArchonModelType> All { get; } =
    [
        new("Together_API", "https://api.together.xyz/v1", "TOGETHER_API_KEY",
            "Together's OpenAI-compatible endpoint, the one Archon posts to."),
        new("OpenAI_API", "https://api.openai.com/v1", "OPENAI_API_KEY", "OpenAI's API, as Archon calls it."),
        new("Anthropic_API", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY",
            "Archon uses Anthropic's own SDK; this is Anthropic's OpenAI SDK compatibility endpoint. If your account or model is not served there, put an OpenAI-compatible gateway (LiteLLM, OpenRouter) in base_url and its key variable in api_key_env."),
        new("Google_API", "https://generativelanguage.googleapis.com/v1beta/openai", "GOOGLE_API_KEY",
            "Archon uses the google.generativeai SDK; this is Gemini's OpenAI-compatible endpoint (a Gemini API key; Vertex AI needs its own base_url)."),
        new("Groq_API", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "Groq's OpenAI-compatible endpoint."),
        new("tgi", null, null,
            "Archon's 'tgi' type treats the model field as the URL of a text-generation-inference server; base_url is that URL and the model is 'tgi'."),
        new("Bedrock_API", "http://127.0.0.1:4000/v1", null,
            "Amazon Bedrock has no OpenAI-compatible endpoint of its own: run an OpenAI-compatible gateway in front of it (LiteLLM, Bedrock Access Gateway), set base_url to it and api_key_env to its key variable."),
        new("vLLM", "http://127.0.0.1:8000/v1", null,
            "Archon loads this model in its own process with vllm.LLM; Compose calls a server instead: start `vllm serve MODEL` (it listens on port 8000 by default) and change base_url if it listens elsewhere. No key is needed unless the server was started with --api-key."),
    ];

    public static ImmutableArray<string> Names { get; } = [.. All.Select(t => t.Name)];

    public static ArchonModelType? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>What stands in for PairRM, which Archon runs locally through llm-blender whatever its model_type says.</summary>
    public static ArchonModelType PairRM { get; } = new(
        "PairRM", "http://127.0.0.1:8000/v1", null,
        "llm-blender/PairRM is a pairwise reward model that Archon runs locally through llm-blender, not a chat model. Compose's pairwise rank asks a chat model which of two answers is better: serve a chat model OpenAI-compatibly, put its address in base_url, its name in model, and its key variable (if any) in api_key_env.");
}
