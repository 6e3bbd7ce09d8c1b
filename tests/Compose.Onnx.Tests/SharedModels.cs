namespace Compose.Onnx.Tests;

/// <summary>Finds ../shared (next to the repository root) for tests that need the reference models.</summary>
internal static class SharedModels
{
    public static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compose.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The folder under ../shared/models, or skips (fails when COMPOSE_REQUIRE_SHARED=1) when it is absent.</summary>
    public static string Require(string name)
    {
        var root = RepoRoot();
        var folder = root is null ? null : Path.GetFullPath(Path.Combine(root, "..", "shared", "models", name));
        var present = folder is not null && Directory.Exists(folder);
        if (!present && Environment.GetEnvironmentVariable("COMPOSE_REQUIRE_SHARED") == "1")
        {
            Assert.Fail($"COMPOSE_REQUIRE_SHARED=1 but ../shared/models/{name} was not found (looked at {folder ?? "<no Compose.sln above the test binaries>"}).");
        }

        Skip.If(!present, $"../shared/models/{name} is not available (looked at {folder ?? "<no repo root>"}); set COMPOSE_REQUIRE_SHARED=1 to fail instead.");
        return folder!;
    }
}
