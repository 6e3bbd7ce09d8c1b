namespace Compose.Cli.Tests;

/// <summary>Paths in the repository, found by walking up from the test binaries to Compose.sln.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string ScriptedModels => Path("examples", "scripted-models.yaml");

    /// <summary>Every pipeline file shipped in pipelines/ and examples/ (model binding and search-space files excluded).</summary>
    public static IEnumerable<string> PipelineFiles() =>
        Directory.EnumerateFiles(Path("pipelines"), "*.yaml")
            .Concat(Directory.EnumerateFiles(Path("examples"), "*.yaml", SearchOption.AllDirectories))
            .Where(f => !System.IO.Path.GetFileName(f).EndsWith("models.yaml", StringComparison.Ordinal))
            .Where(f => !f.Split(System.IO.Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Where(f => !System.IO.Path.GetFileName(f).EndsWith(".space.yaml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Compose.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Compose.sln not found above " + AppContext.BaseDirectory);
    }
}
