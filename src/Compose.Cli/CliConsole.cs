namespace Compose.Cli;

/// <summary>The streams a command uses; tests run the CLI in-process with their own.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, bool InputRedirected, bool OutputRedirected)
{
    /// <summary>Environment variables, replaceable in tests.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
}
