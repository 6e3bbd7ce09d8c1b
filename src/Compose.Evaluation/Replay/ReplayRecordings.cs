using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using Compose.IO;

namespace Compose.Evaluation.Replay;

/// <summary>
/// Recorded generations of one model, keyed by question text (whitespace-normalised). Two layouts are read:
/// <list type="bullet">
/// <item>wide, one line per question with a field per model: <c>{"question": ..., "MODEL": {"solution": ...} | "text" | [samples]}</c>
/// (the layout of GSM8K's <c>example_model_solutions.jsonl</c>);</item>
/// <item>long, one line per question and model: <c>{"question": ..., "model": "MODEL", "samples": ["...", ...]}</c>
/// (or <c>response</c>/<c>solution</c>/<c>text</c> for a single sample).</item>
/// </list>
/// A sample is a text, or an object whose <c>solution</c>, <c>text</c>, <c>response</c> or <c>content</c> field is the text.
/// </summary>
public sealed partial class ReplayRecordings
{
    /// <summary>Recordings kept loaded at most (the most recently used; older ones are read again when needed).</summary>
    public const int MaxLoaded = 32;

    private static readonly object Gate = new();
    private static readonly LinkedList<((string Path, string Model, DateTime Stamp) Key, ReplayRecordings Recordings)> Loaded = new();
    private static readonly string[] SampleKeys = ["samples", "responses", "response", "solution", "text"];
    private static readonly string[] TextKeys = ["solution", "text", "response", "content"];

    private readonly Dictionary<string, ImmutableArray<string>> _byQuestion;

    private ReplayRecordings(string model, Dictionary<string, ImmutableArray<string>> byQuestion, ImmutableArray<string> models)
    {
        Model = model;
        _byQuestion = byQuestion;
        ModelsInFile = models;
    }

    public string Model { get; }

    /// <summary>Number of questions with at least one recorded sample of <see cref="Model"/>.</summary>
    public int Count => _byQuestion.Count;

    /// <summary>Every model name the file records (for suggestions).</summary>
    public ImmutableArray<string> ModelsInFile { get; }

    /// <summary>
    /// Loads the recordings of <paramref name="model"/> from <paramref name="path"/>, once per file version: the
    /// <see cref="MaxLoaded"/> most recently used stay loaded, and a file that changed replaces its older version.
    /// </summary>
    /// <exception cref="FileBoundException">The file is not a regular file, or crosses a size bound of <paramref name="files"/>.</exception>
    public static ReplayRecordings Load(string path, string model, FileAccessPolicy? files = null)
    {
        var full = Path.GetFullPath(path);
        files ??= FileAccessPolicy.Default;
        var key = (full, model, File.GetLastWriteTimeUtc(full));
        lock (Gate)
        {
            for (var node = Loaded.First; node is not null; node = node.Next)
            {
                if (node.Value.Key == key)
                {
                    Loaded.Remove(node);
                    Loaded.AddFirst(node);
                    return node.Value.Recordings;
                }
            }
        }

        var recordings = Read(full, model, files);
        lock (Gate)
        {
            for (var node = Loaded.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Key.Path == full && node.Value.Key.Model == model)
                {
                    Loaded.Remove(node); // an older version of the same file, or the same read by a concurrent caller
                }

                node = next;
            }

            Loaded.AddFirst((key, recordings));
            while (Loaded.Count > MaxLoaded)
            {
                Loaded.RemoveLast();
            }
        }

        return recordings;
    }

    /// <summary>How many recordings are loaded now (for tests).</summary>
    internal static int LoadedCount
    {
        get
        {
            lock (Gate)
            {
                return Loaded.Count;
            }
        }
    }

    /// <summary>How many versions of <paramref name="path"/>'s recordings are loaded now (for tests).</summary>
    internal static int LoadedVersions(string path)
    {
        var full = Path.GetFullPath(path);
        lock (Gate)
        {
            return Loaded.Count(n => n.Key.Path == full);
        }
    }

    /// <summary>The recorded samples of the question <paramref name="text"/> (exact, whitespace-normalised), or empty.</summary>
    public ImmutableArray<string> Find(string text) =>
        _byQuestion.TryGetValue(Key(text), out var samples) ? samples : [];

    /// <summary>Normalises a question for lookup: trimmed, whitespace runs collapsed to one space.</summary>
    public static string Key(string text) => Spaces().Replace(text.Trim(), " ");

    private static ReplayRecordings Read(string path, string model, FileAccessPolicy files)
    {
        var byQuestion = new Dictionary<string, ImmutableArray<string>>(StringComparer.Ordinal);
        var models = new SortedSet<string>(StringComparer.Ordinal);
        var (lines, error) = SafeFile.OpenLines(path, files, "recordings file");
        if (error is not null)
        {
            throw new FileBoundException(error);
        }

        foreach (var line in lines!)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("question", out var q) || q.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            ImmutableArray<string> samples = [];
            if (root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String)
            {
                models.Add(m.GetString()!);
                if (m.GetString() == model)
                {
                    samples = SampleKeys.Where(k => root.TryGetProperty(k, out _)).Select(k => Samples(root.GetProperty(k))).FirstOrDefault(s => !s.IsEmpty);
                }
            }
            else
            {
                foreach (var p in root.EnumerateObject().Where(p => p.Name is not "question" and not "id" && p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array))
                {
                    models.Add(p.Name);
                }

                if (root.TryGetProperty(model, out var recorded))
                {
                    samples = Samples(recorded);
                }
            }

            if (!samples.IsDefaultOrEmpty)
            {
                var key = Key(q.GetString()!);
                byQuestion[key] = byQuestion.TryGetValue(key, out var earlier) ? earlier.AddRange(samples) : samples;
            }
        }

        return new ReplayRecordings(model, byQuestion, [.. models]);
    }

    private static ImmutableArray<string> Samples(JsonElement node) => node.ValueKind switch
    {
        JsonValueKind.String => [node.GetString()!],
        JsonValueKind.Array => [.. node.EnumerateArray().SelectMany(x => Samples(x))],
        JsonValueKind.Object => TextKeys.Where(k => node.TryGetProperty(k, out var t) && t.ValueKind == JsonValueKind.String)
            .Select(k => node.GetProperty(k).GetString()!).Take(1).ToImmutableArray(),
        _ => [],
    };

    [GeneratedRegex(@"\s+", RegexOptions.None, 1000)]
    private static partial Regex Spaces();
}
