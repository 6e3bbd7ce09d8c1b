using System.Diagnostics;

namespace Compose.Cli.Tests.Hostile;

/// <summary>
/// A folder tree laid out for the hostile-file corpus: a pipeline folder with prompt files, symlinks that lead
/// out of it, a FIFO, a sparse oversized file and a folder where files are expected; a "secret" folder beside it.
/// </summary>
public sealed class HostileFileFixture : IDisposable
{
    public const string SecretText = "SECRET-FILE-CONTENT-9f27c";

    public HostileFileFixture()
    {
        Root = Directory.CreateTempSubdirectory("compose-hostile-").FullName;
        Directory.CreateDirectory(P("p", "sub"));
        Directory.CreateDirectory(P("p", "folder.sbn"));
        Directory.CreateDirectory(P("secret"));
        Directory.CreateDirectory(P("models"));
        Directory.CreateDirectory(P("data"));
        File.WriteAllText(P("p", "ok.sbn"), "Answer: {{ question }}");
        File.WriteAllText(P("p", "sub", "inner.sbn"), "Inner: {{ question }}");
        File.WriteAllText(P("secret", "key.txt"), SecretText);
        File.WriteAllText(P("secret", "p.yaml"), Pipeline("generate: {}"));
        File.WriteAllText(P("secret", "rec.jsonl"), "{\"question\": \"q\", \"m\": \"" + SecretText + "\"}\n");
        File.WriteAllText(P("p", "inside.yaml"), Pipeline("generate: {}"));
        File.WriteAllText(P("p", "rec.jsonl"), "{\"question\": \"q\", \"m\": \"fine\"}\n");
        File.WriteAllText(P("data", "bench.jsonl"), "{\"id\": \"1\", \"prompt\": \"What is 6*7?\", \"reference\": \"42\"}\n");
        File.WriteAllText(P("data", "long-line.jsonl"), "{\"id\": \"1\", \"prompt\": \"" + new string('x', 5000) + "\", \"reference\": \"42\"}\n");
        File.WriteAllText(P("models", "escape.yaml"), "models:\n  default: { provider: pipeline, path: ../secret/p.yaml }\n");
        File.WriteAllText(P("p", "space-models.yaml"), "models:\n  fast: { provider: scripted, default: \"42\" }\n");
        File.WriteAllText(P("p", "space-out.yaml"), Space("../secret/models.yaml"));
        File.WriteAllText(P("secret", "models.yaml"), "models:\n  fast: { provider: scripted, default: \"42\" }\n");
        File.WriteAllText(P("p", "space-ok.yaml"), Space("space-models.yaml"));
        Link(P("p", "space-link.yaml"), P("secret", "models.yaml"));
        File.WriteAllText(P("p", "space-via-link.yaml"), Space("space-link.yaml"));
        Sparse(P("p", "big.sbn"), 5L * 1024 * 1024);
        Sparse(P("data", "big.yaml"), 5L * 1024 * 1024);
        Sparse(P("data", "huge.jsonl"), 2L * 1024 * 1024 * 1024);
        Sparse(P("data", "one-line.jsonl"), 300L * 1024 * 1024);
        Fifo(P("p", "fifo.sbn"));
        Fifo(P("data", "fifo"));
        Link(P("p", "link-out.sbn"), P("secret", "key.txt"));
        Link(P("p", "dirlink"), P("secret"), directory: true);
        Link(P("p", "chain1"), P("p", "chain2"));
        Link(P("p", "chain2"), P("secret", "key.txt"));
        Link(P("p", "loop1"), P("p", "loop2"));
        Link(P("p", "loop2"), P("p", "loop1"));
        Link(P("p", "dangling.sbn"), P("nowhere", "x.sbn"));
        Link(P("p", "inner-link.sbn"), "ok.sbn");
        Link(P("p", "relative-out.sbn"), "../secret/key.txt");
        Link(P("p", "pipe-link.yaml"), P("secret", "p.yaml"));
    }

    public string Root { get; }

    public string P(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>A pipeline over one scripted model that echoes nothing of its prompt.</summary>
    public static string Pipeline(string layer, string models = "models:\n  m: { provider: scripted, default: \"ok\" }\n") =>
        $"compose: 1\nname: hostile\n{models}defaults: {{ model: m }}\nlayers:\n  - {layer}\n";

    /// <summary>Writes a pipeline into the pipeline folder and returns its path.</summary>
    public string WritePipeline(string name, string text)
    {
        var path = P("p", name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Space(string models) =>
        $"search: 1\nname: s\nmodels: {models}\naxes:\n  generators: [[fast]]\n  samples: [1]\nbudget: {{ max_calls: 4 }}\n";

    private static void Sparse(string path, long length)
    {
        using var f = File.Create(path);
        f.SetLength(length);
    }

    private static void Link(string path, string target, bool directory = false)
    {
        if (directory)
        {
            Directory.CreateSymbolicLink(path, target);
        }
        else
        {
            File.CreateSymbolicLink(path, target);
        }
    }

    private static void Fifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
    }
}
