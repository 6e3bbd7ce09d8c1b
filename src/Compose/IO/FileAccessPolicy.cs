using System.Collections.Immutable;

namespace Compose.IO;

/// <summary>
/// The bounds on every file Compose reads: which folders a file may name files in (confinement), how
/// large a file may be, and how long a read may take. Immutable; the CLI builds one from
/// <c>--allow-path</c>, <c>--max-file-bytes</c> and <c>--max-data-bytes</c>. Documented in docs/security.md.
/// </summary>
public sealed record FileAccessPolicy
{
    /// <summary>Largest pipeline, models, prompt-template, search-space or question file: 4 MiB.</summary>
    public const long DefaultMaxFileBytes = 4L * 1024 * 1024;

    /// <summary>Largest benchmark or recordings file (read as a stream of lines): 1 GiB.</summary>
    public const long DefaultMaxDataBytes = 1024L * 1024 * 1024;

    /// <summary>Longest line of a benchmark or recordings file: 16 MiB.</summary>
    public const int DefaultMaxLineBytes = 16 * 1024 * 1024;

    /// <summary>The policy with every default: files confined to the folder of the file that names them.</summary>
    public static FileAccessPolicy Default { get; } = new();

    /// <summary>
    /// Folders (besides the folder tree of the naming file) that files named inside pipelines,
    /// models files and search spaces may resolve into, after symlinks are resolved. Empty by default.
    /// </summary>
    public ImmutableArray<string> AllowedRoots { get; init; } = [];

    /// <summary>Cap on a configuration-like file (pipeline, models file, prompt template, search space, question).</summary>
    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;

    /// <summary>Cap on a data file (benchmark, recordings), which is read line by line.</summary>
    public long MaxDataBytes { get; init; } = DefaultMaxDataBytes;

    /// <summary>Cap on one line of a data file.</summary>
    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;

    /// <summary>How long reading one configuration-like file may take.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// This policy with <c>--max-file-bytes</c> and <c>--max-data-bytes</c> applied where given: a larger data limit
    /// raises the line limit with it (a 64th of the data, at least the current line limit).
    /// </summary>
    public FileAccessPolicy WithLimits(long? maxFileBytes, long? maxDataBytes)
    {
        var policy = this;
        if (maxFileBytes is { } maxFile)
        {
            policy = policy with { MaxFileBytes = maxFile };
        }

        if (maxDataBytes is { } maxData)
        {
            policy = policy with { MaxDataBytes = maxData, MaxLineBytes = (int)Math.Min(int.MaxValue, Math.Max(policy.MaxLineBytes, maxData / 64)) };
        }

        return policy;
    }

    /// <summary>This policy with <paramref name="roots"/> added to the allowed folders (resolved to their real paths).</summary>
    public FileAccessPolicy Allow(IEnumerable<string> roots) =>
        this with { AllowedRoots = [.. AllowedRoots, .. roots.Select(r => SafePath.RealPath(Path.GetFullPath(r)) ?? Path.GetFullPath(r))] };
}
