using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Compose.Onnx.Config;

/// <summary>Reads genai_config.json; every problem is an ONNX004/ONNX005 diagnostic naming the file.</summary>
public static class GenAiConfigReader
{
    public const string FileName = "genai_config.json";

    /// <summary>Model types the runner knows how to drive (decoder-only models from the GenAI model builder).</summary>
    public static ImmutableArray<string> KnownModelTypes { get; } =
    [
        "gpt2", "llama", "mistral", "qwen2", "qwen3", "phi", "phi3", "phi3small", "phimoe", "gemma", "gemma2",
        "gemma3_text", "granite", "olmo", "nemotron", "smollm3", "chatglm", "ernie4_5",
    ];

    public static GenAiConfig Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            throw OnnxErrors.Fail(OnnxErrors.MissingFile, path, $"The model folder has no {FileName}.",
                "Point `path` at a folder produced by the ONNX Runtime GenAI model builder.");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(OnnxErrors.ReadFile(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"{FileName} is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            return Parse(doc.RootElement, path);
        }
    }

    internal static GenAiConfig Parse(JsonElement root, string path)
    {
        var model = Object(root, "model", path, required: true)!.Value;
        var type = String(model, "type", path) ?? throw Missing(path, "model.type");
        if (!KnownModelTypes.Contains(type))
        {
            throw OnnxErrors.Fail(OnnxErrors.UnknownModelType, path, $"Unknown model type '{type}'.",
                $"Supported types: {string.Join(", ", KnownModelTypes)}.");
        }

        var decoder = Object(model, "decoder", path, required: true)!.Value;
        var inputs = Object(decoder, "inputs", path, required: false);
        var outputs = Object(decoder, "outputs", path, required: false);
        var names = new DecoderIoNames();
        if (inputs is { } i)
        {
            names = names with
            {
                InputIds = String(i, "input_ids", path) ?? names.InputIds,
                AttentionMask = String(i, "attention_mask", path) ?? names.AttentionMask,
                PositionIds = String(i, "position_ids", path) ?? names.PositionIds,
                PastNames = String(i, "past_names", path),
                PastKeyNames = String(i, "past_key_names", path) ?? names.PastKeyNames,
                PastValueNames = String(i, "past_value_names", path) ?? names.PastValueNames,
            };
        }

        if (outputs is { } o)
        {
            names = names with
            {
                Logits = String(o, "logits", path) ?? names.Logits,
                PresentNames = String(o, "present_names", path),
                PresentKeyNames = String(o, "present_key_names", path) ?? names.PresentKeyNames,
                PresentValueNames = String(o, "present_value_names", path) ?? names.PresentValueNames,
            };
        }

        if ((names.PastNames is null) != (names.PresentNames is null))
        {
            throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, "decoder.inputs.past_names and decoder.outputs.present_names must be given together.");
        }

        var layers = Int(decoder, "num_hidden_layers", path) ?? throw Missing(path, "model.decoder.num_hidden_layers");
        var kvHeads = Int(decoder, "num_key_value_heads", path);
        var heads = Int(decoder, "num_attention_heads", path) ?? kvHeads ?? throw Missing(path, "model.decoder.num_attention_heads");
        kvHeads ??= heads;
        var hidden = Int(decoder, "hidden_size", path);
        var headSize = Int(decoder, "head_size", path) ?? (hidden / heads) ?? throw Missing(path, "model.decoder.head_size");
        Positive(path, "num_hidden_layers", layers);
        Positive(path, "num_attention_heads", heads);
        Positive(path, "num_key_value_heads", kvHeads.Value);
        Positive(path, "head_size", headSize);

        var context = Int(model, "context_length", path) ?? throw Missing(path, "model.context_length");
        Positive(path, "context_length", context);

        var (sessionOptions, providers) = ReadSessionOptions(decoder, path);
        return new GenAiConfig
        {
            ModelType = type,
            DecoderFile = String(decoder, "filename", path) ?? "model.onnx",
            Names = names,
            NumLayers = layers,
            NumHeads = heads,
            NumKeyValueHeads = kvHeads.Value,
            HeadSize = headSize,
            HiddenSize = hidden,
            ContextLength = context,
            VocabSize = Int(model, "vocab_size", path),
            BosTokenId = Int(model, "bos_token_id", path),
            EosTokenIds = ReadIds(model, "eos_token_id", path),
            PadTokenId = Int(model, "pad_token_id", path) ?? ReadIds(model, "eos_token_id", path).FirstOrDefault(),
            SessionOptions = sessionOptions,
            Providers = providers,
            Search = ReadSearch(root, path),
        };
    }

    private static (ImmutableDictionary<string, string>, ImmutableArray<ExecutionProviderConfig>) ReadSessionOptions(JsonElement decoder, string path)
    {
        var options = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var providers = ImmutableArray.CreateBuilder<ExecutionProviderConfig>();
        if (Object(decoder, "session_options", path, required: false) is not { } so)
        {
            return (options.ToImmutable(), providers.ToImmutable());
        }

        foreach (var p in so.EnumerateObject())
        {
            if (p.Name == "provider_options")
            {
                if (p.Value.ValueKind != JsonValueKind.Array)
                {
                    throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, "model.decoder.session_options.provider_options must be a list.");
                }

                foreach (var entry in p.Value.EnumerateArray())
                {
                    if (entry.ValueKind != JsonValueKind.Object)
                    {
                        throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, "Each provider_options entry must be an object like {\"cuda\": {}}.");
                    }

                    foreach (var provider in entry.EnumerateObject())
                    {
                        var values = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                        if (provider.Value.ValueKind == JsonValueKind.Object)
                        {
                            foreach (var kv in provider.Value.EnumerateObject())
                            {
                                values[kv.Name] = Scalar(kv.Value);
                            }
                        }

                        providers.Add(new ExecutionProviderConfig(provider.Name.ToLowerInvariant(), values.ToImmutable()));
                    }
                }
            }
            else if (p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
            {
                options[p.Name] = Scalar(p.Value);
            }
        }

        return (options.ToImmutable(), providers.ToImmutable());
    }

    private static SearchDefaults ReadSearch(JsonElement root, string path)
    {
        if (Object(root, "search", path, required: false) is not { } s)
        {
            return new SearchDefaults();
        }

        return new SearchDefaults
        {
            DoSample = s.TryGetProperty("do_sample", out var ds) && ds.ValueKind == JsonValueKind.True,
            MaxLength = Int(s, "max_length", path),
            Temperature = Float(s, "temperature", path),
            TopK = Int(s, "top_k", path),
            TopP = Float(s, "top_p", path),
            PastPresentShareBuffer = s.TryGetProperty("past_present_share_buffer", out var share) && share.ValueKind == JsonValueKind.True,
        };
    }

    private static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() ?? "",
        JsonValueKind.True => "1",
        JsonValueKind.False => "0",
        _ => e.GetRawText(),
    };

    private static ImmutableArray<int> ReadIds(JsonElement obj, string key, string path)
    {
        if (!obj.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var one))
        {
            return [one];
        }

        if (e.ValueKind == JsonValueKind.Array)
        {
            var ids = ImmutableArray.CreateBuilder<int>();
            foreach (var item in e.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id))
                {
                    throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"model.{key} must be a token id or a list of token ids.");
                }

                ids.Add(id);
            }

            return ids.ToImmutable();
        }

        throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"model.{key} must be a token id or a list of token ids.");
    }

    private static JsonElement? Object(JsonElement parent, string key, string path, bool required)
    {
        if (parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(key, out var e))
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"'{key}' must be an object.");
            }

            return e;
        }

        return required ? throw Missing(path, key) : null;
    }

    private static string? String(JsonElement obj, string key, string path)
    {
        if (!obj.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind == JsonValueKind.String
            ? e.GetString()
            : throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"'{key}' must be a string.");
    }

    private static int? Int(JsonElement obj, string key, string path)
    {
        if (!obj.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v))
        {
            return v;
        }

        if (e.ValueKind == JsonValueKind.String && int.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out v))
        {
            return v;
        }

        throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"'{key}' must be an integer, not {e.GetRawText()}.");
    }

    private static float? Float(JsonElement obj, string key, string path)
    {
        if (!obj.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind == JsonValueKind.Number
            ? e.GetSingle()
            : throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"'{key}' must be a number.");
    }

    private static void Positive(string path, string key, int value)
    {
        if (value <= 0)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"'{key}' must be positive, not {value}.");
        }
    }

    private static Language.DiagnosticException Missing(string path, string key) =>
        OnnxErrors.Fail(OnnxErrors.BadConfig, path, $"{FileName} lacks '{key}'.", "Regenerate the folder with the ONNX Runtime GenAI model builder, or add the field.");
}
