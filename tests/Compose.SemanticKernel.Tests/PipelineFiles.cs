namespace Compose.SemanticKernel.Tests;

/// <summary>Pipeline files written to a temporary folder for one test.</summary>
internal sealed class PipelineFiles : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("compose-sk-");

    public const string Scripted = """
        models:
          default:
            provider: scripted
            rules:
              - { when: "^You have been given", reply: "Fused: the capital of France is Paris." }
              - { when: "capital of France", replies: ["Paris.", "It is Paris.", "Lyon."] }
            default: "I only know capitals."
        """;

    public string Write(string name, string yaml)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Three samples fused into one answer: 4 calls per question; the fuse streams.</summary>
    public string GenerateFuse() => Write("gen-fuse.yaml", "compose: 1\nname: gen-fuse\ndescription: Three samples fused.\n" + Scripted + "\nlayers:\n  - generate: { samples: 3 }\n  - fuse: {}\n");

    /// <summary>One sample: the seed picks the reply.</summary>
    public string Single() => Write("single.yaml", "compose: 1\nname: single\n" + Scripted + "\nlayers:\n  - generate: { samples: 1 }\n");

    public void Dispose() => _dir.Delete(recursive: true);
}
