namespace Compose.IO;

/// <summary>
/// Path confinement: a file named inside a pipeline, models file or search space must resolve, after
/// every symlink is followed, into the folder tree of the file that names it or into a folder the user
/// allowed (<see cref="FileAccessPolicy.AllowedRoots"/>). The resolved path is the one to open, so what
/// was checked is what is read.
/// </summary>
public static class SafePath
{
    /// <summary>The most symlinks followed while resolving one path (as the kernel's ELOOP).</summary>
    public const int MaxSymlinkHops = 40;

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// Resolves <paramref name="name"/> (relative to <paramref name="baseDirectory"/>, or absolute) to its real
    /// path and checks that it lies inside <paramref name="baseDirectory"/>'s tree or an allowed root.
    /// </summary>
    /// <remarks><c>what</c> says what the file is, for messages: "prompt template file", "models file".</remarks>
    public static (string? Path, FileError? Error) Confine(string baseDirectory, string name, FileAccessPolicy policy, string what)
    {
        string full;
        try
        {
            full = Path.GetFullPath(name, Path.GetFullPath(baseDirectory));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return (null, FileError.Unreadable(what, name, "not a valid path"));
        }

        var realBase = RealPath(Path.GetFullPath(baseDirectory)) ?? Path.GetFullPath(baseDirectory);
        var real = RealPath(Path.Combine(realBase, name));
        if (real is null)
        {
            return (null, new FileError(FileErrorCodes.PathOutsideAllowed, $"{what} '{name}' could not be resolved (more than {MaxSymlinkHops} symbolic links)", "Point it at a regular file inside the pipeline's folder."));
        }

        if (IsInside(real, realBase) || policy.AllowedRoots.Any(root => IsInside(real, root)))
        {
            return (real, null);
        }

        var roots = policy.AllowedRoots.IsEmpty ? "" : $" or {string.Join(", ", policy.AllowedRoots)}";
        return (null, new FileError(
            FileErrorCodes.PathOutsideAllowed,
            real == full ? $"{what} '{name}' is outside the folder of the file that names it ({realBase}{roots})"
                         : $"{what} '{name}' resolves (through a symbolic link) to a place outside the folder of the file that names it ({realBase}{roots})",
            $"Files a pipeline names must be inside its folder tree. To allow another folder, run with --allow-path DIR."));
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (both real, absolute paths).</summary>
    public static bool IsInside(string path, string root)
    {
        var r = Path.TrimEndingDirectorySeparator(root);
        if (string.Equals(path, r, PathComparison))
        {
            return true;
        }

        var prefix = Path.EndsInDirectorySeparator(r) ? r : r + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, PathComparison);
    }

    /// <summary>
    /// The real path of <paramref name="absolutePath"/>: every symbolic link followed, <c>.</c> and <c>..</c>
    /// applied to real folders (as the kernel does), components that do not exist kept as written.
    /// Null when more than <see cref="MaxSymlinkHops"/> links are met.
    /// </summary>
    public static string? RealPath(string absolutePath)
    {
        var root = Path.GetPathRoot(absolutePath);
        if (string.IsNullOrEmpty(root))
        {
            return null;
        }

        var pending = new List<string>(Split(absolutePath[root.Length..]));
        pending.Reverse(); // a stack: the next component is last
        var current = root;
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending[^1];
            pending.RemoveAt(pending.Count - 1);
            if (part is "." or "")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }

            var next = Path.Combine(current, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                target = null;
            }

            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxSymlinkHops)
            {
                return null;
            }

            var targetParts = Split(Path.IsPathRooted(target) ? target[(Path.GetPathRoot(target) ?? "").Length..] : target);
            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target) ?? root;
            }

            for (var i = targetParts.Length - 1; i >= 0; i--)
            {
                pending.Add(targetParts[i]);
            }
        }

        return current;
    }

    private static string[] Split(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
