using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Compose.Techniques;

/// <summary>
/// The techniques a host offers to pipelines, by key, in the order they are documented. Immutable:
/// <see cref="With(TechniqueDefinition)"/> returns a new catalog. <see cref="BuiltIn"/> holds Compose's own eight;
/// a user's technique registers the same way and is read, checked, bounded, graphed, run, traced, budgeted and
/// seeded exactly like them.
/// </summary>
public sealed partial class TechniqueCatalog : Language.TechniqueSet
{
    private readonly ImmutableDictionary<string, TechniqueDefinition> _byKey;

    private TechniqueCatalog(ImmutableArray<TechniqueDefinition> all)
    {
        All = all;
        _byKey = all.ToImmutableDictionary(d => d.Key, StringComparer.Ordinal);
    }

    /// <summary>No technique.</summary>
    public static TechniqueCatalog Empty { get; } = new([]);

    /// <summary>Compose's built-in techniques: generate, critique, rank, fuse, verify, refine, vote, unit_tests.</summary>
    public static new TechniqueCatalog BuiltIn { get; } = Empty
        .With(new GenerateDefinition())
        .With(new CritiqueDefinition())
        .With(new RankDefinition())
        .With(new FuseDefinition())
        .With(new VerifyDefinition())
        .With(new RefineDefinition())
        .With(new VoteDefinition())
        .With(new UnitTestsDefinition())
        .With(new BestOfNDefinition())
        .With(new BeamSearchDefinition())
        .With(new ParticleFilterDefinition())
        .With(new ParticleGibbsDefinition())
        .With(new AdaptiveVoteDefinition())
        .With(new FirstFinishDefinition())
        .With(new DeepConfDefinition())
        .With(new BestOfMajorityDefinition());

    /// <summary>Every definition, built-ins first, in registration order.</summary>
    public ImmutableArray<TechniqueDefinition> All { get; }

    /// <summary>The keys, in the order they are documented.</summary>
    public override IEnumerable<string> Keys => All.Select(d => d.Key);

    /// <summary>The catalog behind <paramref name="set"/> (a <see cref="Language.TechniqueSet"/> is always one).</summary>
    public static TechniqueCatalog From(Language.TechniqueSet set) =>
        set as TechniqueCatalog ?? throw new ArgumentException("Not a technique catalog.", nameof(set));

    /// <summary>
    /// Tells the language layer where the built-ins are, when the assembly loads: the reader, compiler and runtime use
    /// <see cref="Language.TechniqueSet.BuiltIn"/> without depending on this layer.
    /// </summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The built-ins must be known to the lower layers before any pipeline is read; nothing else runs here.")]
    internal static void RegisterBuiltIn() => RegisterBuiltIn(static () => BuiltIn);

    internal override bool TryGetSyntax(string key, out Language.ITechniqueSyntax syntax)
    {
        var found = _byKey.TryGetValue(key, out var definition);
        syntax = (definition as Language.ITechniqueSyntax)!;
        return found;
    }

    internal override T For<T>(Language.TechniqueSpec spec) =>
        For(spec) as T ?? throw new InvalidOperationException($"Technique '{spec.Kind}' is not a {typeof(T).Name}.");

    internal override IEnumerable<T> AllOf<T>() => All.OfType<T>();

    public bool TryGet(string key, out TechniqueDefinition definition) => _byKey.TryGetValue(key, out definition!);

    /// <summary>The definition that reads <paramref name="spec"/>'s kind; throws when the catalog has none (a spec from another catalog).</summary>
    public TechniqueDefinition For(Language.TechniqueSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return _byKey.TryGetValue(spec.Kind, out var definition) && definition.SpecType.IsInstanceOfType(spec)
            ? definition
            : throw new InvalidOperationException($"No technique '{spec.Kind}' for {spec.GetType().Name} in this catalog.");
    }

    /// <summary>
    /// A catalog with <paramref name="definition"/> added. Its key must be new and well formed, and its options may
    /// not repeat one another or a common option; a mistake here is the technique author's and throws at once.
    /// </summary>
    public TechniqueCatalog With(TechniqueDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var key = definition.Key;
        if (string.IsNullOrEmpty(key) || !KeyShape().IsMatch(key))
        {
            throw new ArgumentException($"Technique key '{key}' must be lower case letters, digits and '_', starting with a letter.", nameof(definition));
        }

        if (_byKey.ContainsKey(key))
        {
            throw new ArgumentException($"A technique '{key}' is already registered ({_byKey[key].GetType().FullName}).", nameof(definition));
        }

        var names = definition.Options.Select(o => o.Name).ToList();
        var clash = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1)?.Key
            ?? names.FirstOrDefault(n => Language.PipelineKeys.Common.Contains(n));
        if (clash is not null)
        {
            throw new ArgumentException($"Technique '{key}' declares option '{clash}' twice, or one the language already gives every technique.", nameof(definition));
        }

        var templates = definition.Templates.Select(t => t.Name).ToList();
        if (templates.Distinct(StringComparer.Ordinal).Count() != templates.Count)
        {
            throw new ArgumentException($"Technique '{key}' declares a template name twice.", nameof(definition));
        }

        return new TechniqueCatalog(All.Add(definition));
    }

    /// <summary>A catalog with every definition of <paramref name="definitions"/> added, in order.</summary>
    public TechniqueCatalog With(IEnumerable<TechniqueDefinition> definitions) =>
        (definitions ?? throw new ArgumentNullException(nameof(definitions))).Aggregate(this, (catalog, d) => catalog.With(d));

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex KeyShape();
}
