using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Compose.Onnx.Tokenization;

/// <summary>
/// A model folder's tokenizer: encoding through Microsoft.ML.Tokenizers, decoding through a
/// token-to-bytes table so text can be produced incrementally without splitting characters.
/// </summary>
public sealed class ModelTokenizer
{
    /// <summary>GPT-2's pre-tokenizer pattern, used by byte-level BPE when tokenizer.json gives no Split regex.</summary>
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Tokenizer _inner;
    private readonly byte[][] _bytes;
    private readonly FrozenDictionary<string, int> _special;

    private ModelTokenizer(Tokenizer inner, TokenizerKind kind, byte[][] bytes, FrozenDictionary<string, int> special, string file)
    {
        _inner = inner;
        Kind = kind;
        _bytes = bytes;
        _special = special;
        File = file;
    }

    public TokenizerKind Kind { get; }

    /// <summary>The file it was read from.</summary>
    public string File { get; }

    /// <summary>Number of ids with a decoding (vocabulary plus added tokens).</summary>
    public int VocabularySize => _bytes.Length;

    /// <summary>Special and added tokens by their text (e.g. <c>&lt;|im_end|&gt;</c>).</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens => _special;

    public IReadOnlyList<int> Encode(string text) => _inner.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true);

    /// <summary>Decodes ids to text, leaving out special tokens.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var decoder = CreateDecoder();
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            sb.Append(decoder.Append(id));
        }

        return sb.Append(decoder.Flush()).ToString();
    }

    public IncrementalDecoder CreateDecoder() => new(this);

    public bool TryGetSpecialToken(string text, out int id) => _special.TryGetValue(text, out id);

    internal ReadOnlySpan<byte> GetTokenBytes(int id) => (uint)id < (uint)_bytes.Length ? _bytes[id] : [];

    /// <summary>Reads tokenizer.json (or tokenizer.model) from a model folder.</summary>
    public static ModelTokenizer Load(string folder)
    {
        var json = Path.Combine(folder, "tokenizer.json");
        if (System.IO.File.Exists(json))
        {
            return FromJson(json);
        }

        var sp = Path.Combine(folder, "tokenizer.model");
        if (System.IO.File.Exists(sp))
        {
            return FromSentencePieceModel(sp);
        }

        throw OnnxErrors.Fail(OnnxErrors.MissingFile, json, "The model folder has no tokenizer.json (nor tokenizer.model).",
            "Copy the tokenizer files of the original model into the folder.");
    }

    private static ModelTokenizer FromSentencePieceModel(string path)
    {
        try
        {
            OnnxErrors.RequireRegular(path, OnnxErrors.MaxJsonFileBytes);
            using var stream = System.IO.File.OpenRead(path);
            var llama = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
            var bytes = new byte[llama.Vocabulary.Count][];
            foreach (var (piece, id) in llama.Vocabulary)
            {
                if (id < bytes.Length)
                {
                    bytes[id] = SentencePieceBytes(piece);
                }
            }

            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] ??= [];
            }

            return new ModelTokenizer(llama, TokenizerKind.SentencePieceModel, bytes, FrozenDictionary<string, int>.Empty, path);
        }
        catch (Exception e) when (e is not Language.DiagnosticException)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadTokenizer, path, $"tokenizer.model could not be read: {e.Message}");
        }
    }

    internal static ModelTokenizer FromJson(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(OnnxErrors.ReadFile(path));
            return FromJson(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadTokenizer, path, $"tokenizer.json is not valid JSON: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadTokenizer, path, $"tokenizer.json could not be read: {e.Message}");
        }
    }

    private static ModelTokenizer FromJson(JsonElement root, string path)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadTokenizer, path, "tokenizer.json has no 'model' object.");
        }

        var type = model.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type != "BPE")
        {
            throw OnnxErrors.Fail(OnnxErrors.BadTokenizer, path, $"Tokenizer model type '{type}' is not supported.",
                "Supported: BPE in tokenizer.json (byte-level or SentencePiece-style), or a tokenizer.model SentencePiece file.");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in model.GetProperty("vocab").EnumerateObject())
        {
            vocab[p.Name] = p.Value.GetInt32();
        }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var m))
        {
            foreach (var item in m.EnumerateArray())
            {
                merges.Add(item.ValueKind == JsonValueKind.Array ? $"{item[0].GetString()} {item[1].GetString()}" : item.GetString()!);
            }
        }

        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        var skip = new HashSet<int>();
        if (root.TryGetProperty("added_tokens", out var added))
        {
            foreach (var a in added.EnumerateArray())
            {
                var content = a.GetProperty("content").GetString()!;
                var id = a.GetProperty("id").GetInt32();
                special[content] = id;
                if (a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True)
                {
                    skip.Add(id);
                }
            }
        }

        var byteLevel = Mentions(root, "pre_tokenizer", "ByteLevel") || Mentions(root, "decoder", "ByteLevel");
        var kind = byteLevel ? TokenizerKind.ByteLevelBpe : TokenizerKind.SentencePieceBpe;
        var unk = model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;

        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            SpecialTokens = special,
            UnknownToken = unk,
            ByteLevel = byteLevel,
        };
        if (byteLevel)
        {
            var pattern = FindSplitPattern(root) ?? Gpt2Pattern;
            options.PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special);
        }
        else
        {
            options.Normalizer = new SentencePieceNormalizer(removeExtraWhiteSpaces: false, addDummyPrefix: true, escapeWhiteSpaces: true, treatWhitespaceAsSuffix: false, specialTokens: special);
            options.PreTokenizer = new RegexPreTokenizer(new Regex(@"[^\s]+|\s+", RegexOptions.Compiled), special);
        }

        var tokenizer = BpeTokenizer.Create(options);
        var size = Math.Max(vocab.Count == 0 ? 0 : vocab.Values.Max() + 1, special.Count == 0 ? 0 : special.Values.Max() + 1);
        var bytes = new byte[size][];
        foreach (var (token, id) in vocab)
        {
            bytes[id] = byteLevel ? ByteLevelBytes(token) : SentencePieceBytes(token);
        }

        foreach (var (content, id) in special)
        {
            bytes[id] = skip.Contains(id) ? [] : Encoding.UTF8.GetBytes(content);
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] ??= [];
        }

        return new ModelTokenizer(tokenizer, kind, bytes, special.ToFrozenDictionary(StringComparer.Ordinal), path);
    }

    private static bool Mentions(JsonElement root, string section, string type) =>
        root.TryGetProperty(section, out var e) && e.ValueKind == JsonValueKind.Object && e.GetRawText().Contains($"\"{type}\"", StringComparison.Ordinal);

    private static string? FindSplitPattern(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        IEnumerable<JsonElement> parts = pre.TryGetProperty("pretokenizers", out var list) ? list.EnumerateArray() : [pre];
        foreach (var part in parts)
        {
            if (part.TryGetProperty("type", out var t) && t.GetString() == "Split"
                && part.TryGetProperty("pattern", out var p) && p.TryGetProperty("Regex", out var r))
            {
                return r.GetString();
            }
        }

        return null;
    }

    private static byte[] ByteLevelBytes(string token)
    {
        var result = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!ByteLevelAlphabet.TryGetByte(token[i], out result[i]))
            {
                return Encoding.UTF8.GetBytes(token); // not a byte-level spelling (an added token)
            }
        }

        return result;
    }

    private static byte[] SentencePieceBytes(string piece)
    {
        if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
        {
            return [b];
        }

        return Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
    }
}
