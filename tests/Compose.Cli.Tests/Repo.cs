using Compose.Models;

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

    /// <summary>
    /// The CLI's providers and techniques plus the example technique (examples/CustomTechnique), which a shipped
    /// pipeline uses: what <c>compose --techniques KeywordFilter.dll</c> offers.
    /// </summary>
    public static ModelProviderCatalog ShippedCatalog { get; } =
        Compose.Techniques.TechniqueCatalogExtensions.WithTechnique(ProviderSetup.Catalog, new Compose.Examples.KeywordFilterDefinition());

    /// <summary>
    /// The <c>--techniques</c> arguments a shipped pipeline needs: each assembly its header's <c># Run:</c> lines load,
    /// taken from beside the tests (the test project references the example technique projects), or none.
    /// </summary>
    public static string[] TechniquesFor(string file)
    {
        var header = File.ReadLines(System.IO.Path.IsPathRooted(file) ? file : Path(file)).TakeWhile(l => l.StartsWith('#'));
        var assemblies = header
            .Where(l => l.StartsWith("# Run: compose ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .SelectMany(words => words.Zip(words.Skip(1)).Where(p => p.First == "--techniques").Select(p => System.IO.Path.GetFileName(p.Second)))
            .Distinct(StringComparer.Ordinal);
        return [.. assemblies.SelectMany(name => new[] { "--techniques", System.IO.Path.Combine(AppContext.BaseDirectory, name) })];
    }

    /// <summary>
    /// <paramref name="args"/> with each <c>--techniques examples/.../bin/Debug/...</c> path (as headers and READMEs
    /// write it) in the configuration these tests were built in, so a Release test run uses Release examples.
    /// </summary>
    public static string[] InBuiltConfiguration(string[] args)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";
        return [.. args.Select((a, i) => i > 0 && args[i - 1] == "--techniques" ? a.Replace("/bin/Debug/", $"/bin/{configuration}/", StringComparison.Ordinal) : a)];
    }

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
