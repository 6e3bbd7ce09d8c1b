namespace Compose.Tests;

internal static class TestFiles
{
    public static string Output(string folder) => Path.Combine(AppContext.BaseDirectory, folder);

    /// <summary>The repository root (the folder holding Compose.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Compose.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }
}
