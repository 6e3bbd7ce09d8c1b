using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// The techniques a pipeline may name, as the language, the compiler and the runtime see them: each phase asks for the
/// face it needs (reading here, bounds and checks in Compilation, running in Runtime) and names no technique. The one
/// implementation is <c>Compose.Techniques.TechniqueCatalog</c>; hosts build and extend catalogs there.
/// </summary>
public abstract class TechniqueSet
{
    private static Func<TechniqueSet>? s_builtIn;

    private protected TechniqueSet()
    {
    }

    /// <summary>Compose's built-in techniques (registered by the Techniques layer when the assembly loads).</summary>
    public static TechniqueSet BuiltIn => (s_builtIn ?? throw new InvalidOperationException("The built-in techniques are not registered."))();

    /// <summary>The keys, in the order they are documented.</summary>
    public abstract IEnumerable<string> Keys { get; }

    /// <summary>Called once, by the layer that defines the built-ins.</summary>
    internal static void RegisterBuiltIn(Func<TechniqueSet> builtIn) => s_builtIn = builtIn;

    /// <summary>How the reader reads the technique named <paramref name="key"/>.</summary>
    internal abstract bool TryGetSyntax(string key, out ITechniqueSyntax syntax);

    /// <summary>The face <typeparamref name="T"/> of the technique that reads <paramref name="spec"/>; throws for a spec of another set.</summary>
    internal abstract T For<T>(TechniqueSpec spec)
        where T : class;

    /// <summary>The face <typeparamref name="T"/> of every technique, in order.</summary>
    internal abstract IEnumerable<T> AllOf<T>()
        where T : class;
}

/// <summary>What the reader needs of a technique: its key, its options, its template names and how to read its spec.</summary>
internal interface ITechniqueSyntax
{
    string Key { get; }

    ImmutableArray<TechniqueOption> Options { get; }

    ImmutableArray<string> TemplateNames { get; }

    Type SpecType { get; }

    TechniqueSpec? ReadSpec(TechniqueReader reader);
}

/// <summary>One option of a technique: its key, what it takes (for the schema and the docs) and, for a word, the words.</summary>
public sealed record TechniqueOption(string Name, string Description)
{
    /// <summary>The words it accepts, when it is a word (<c>method: listwise | pairwise | pointwise</c>).</summary>
    public ImmutableArray<string> Words { get; init; } = [];
}
