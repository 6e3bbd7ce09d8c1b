using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Compose.Techniques;

namespace Compose.Cli;

/// <summary>
/// Techniques loaded from assemblies named with <c>--techniques PATH</c>: every public, non-abstract type deriving
/// from <see cref="TechniqueDefinition{TSpec}"/> with a public parameterless constructor is registered. Loading an
/// assembly runs its code with the user's rights, like any plugin; only the operator names one (docs/security.md).
/// An assembly is loaded once per process; its own dependencies resolve from its folder.
/// </summary>
internal static class TechniqueAssemblies
{
    private static readonly ConcurrentDictionary<string, Lazy<(ImmutableArray<TechniqueDefinition> Definitions, string? Error)>> Loaded = new(StringComparer.Ordinal);

    /// <summary>The built-ins plus the techniques of <paramref name="paths"/>, or the first problem as a message.</summary>
    public static (TechniqueCatalog? Catalog, string? Error) Catalog(IReadOnlyList<string> paths)
    {
        var catalog = TechniqueCatalog.BuiltIn;
        foreach (var path in paths)
        {
            var (definitions, error) = Load(path);
            if (error is not null)
            {
                return (null, $"--techniques {path}: {error}");
            }

            foreach (var definition in definitions)
            {
                try
                {
                    catalog = catalog.With(definition);
                }
                catch (ArgumentException ex)
                {
                    return (null, $"--techniques {path}: {definition.GetType().FullName}: {ex.Message}");
                }
            }
        }

        return (catalog, null);
    }

    private static (ImmutableArray<TechniqueDefinition> Definitions, string? Error) Load(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ([], $"not a valid path ({ex.Message})");
        }

        return Loaded.GetOrAdd(full, f => new Lazy<(ImmutableArray<TechniqueDefinition>, string?)>(() => LoadOnce(f))).Value;
    }

    private static (ImmutableArray<TechniqueDefinition>, string?) LoadOnce(string full)
    {
        if (Directory.Exists(full))
        {
            return ([], "is a folder; name the technique assembly (.dll) itself");
        }

        if (!File.Exists(full))
        {
            return ([], "no such file");
        }

        Assembly assembly;
        try
        {
            var folder = Path.GetDirectoryName(full)!;
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                var candidate = Path.Combine(folder, name.Name + ".dll");
                return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
            };
            assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(full);
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or IOException)
        {
            return ([], $"not a .NET assembly this runtime can load ({ex.Message})");
        }

        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception ex) when (ex is ReflectionTypeLoadException or FileNotFoundException or FileLoadException or TypeLoadException)
        {
            var first = ex is ReflectionTypeLoadException load ? load.LoaderExceptions.FirstOrDefault(e => e is not null)?.Message ?? ex.Message : ex.Message;
            return ([], $"its types cannot be loaded; was it built against this version of Compose ({typeof(TechniqueDefinition).Assembly.GetName().Version})? {first}");
        }

        var definitions = ImmutableArray.CreateBuilder<TechniqueDefinition>();
        foreach (var type in types.Where(t => !t.IsAbstract && typeof(TechniqueDefinition).IsAssignableFrom(t)).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                return ([], $"{type.FullName} has no public parameterless constructor");
            }

            try
            {
                definitions.Add((TechniqueDefinition)Activator.CreateInstance(type)!);
            }
            catch (TargetInvocationException ex)
            {
                return ([], $"{type.FullName} failed to start: {ex.InnerException?.Message ?? ex.Message}");
            }
        }

        return definitions.Count == 0
            ? ([], "defines no technique (a public class deriving from Compose.Techniques.TechniqueDefinition<TSpec> with a public parameterless constructor)")
            : (definitions.ToImmutable(), null);
    }
}
