namespace Compose.Evaluation.Tests;

/// <summary>Paths in the repository and in ../shared (skipped when absent, required with COMPOSE_REQUIRE_SHARED=1).</summary>
internal static class Shared
{
    public static string Root { get; } = FindRoot();

    public static string Gsm8k(string file) => Path.GetFullPath(Path.Combine(Root, "..", "shared", "benchmarks", "gsm8k", file));

    public static void Require(string path)
    {
        if (File.Exists(path))
        {
            return;
        }

        Assert.False(Environment.GetEnvironmentVariable("COMPOSE_REQUIRE_SHARED") == "1", $"COMPOSE_REQUIRE_SHARED=1 but {path} is missing");
        Skip.If(true, $"{path} is absent (the shared GSM8K recordings are not part of the repository)");
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Compose.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Compose.sln not found");
    }
}
