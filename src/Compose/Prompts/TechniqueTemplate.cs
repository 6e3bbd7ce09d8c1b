using System.Reflection;
using Compose.Language;

namespace Compose.Prompts;

/// <summary>
/// A technique's prompt template: its name (what <c>prompts:</c> overrides) and its default Scriban text, parsed
/// once, on first use. A default that does not parse is a bug in the technique and throws when first used.
/// </summary>
public sealed class TechniqueTemplate
{
    private readonly Lazy<PromptTemplate> _parsed;

    public TechniqueTemplate(string name, string defaultText)
        : this(name, defaultText, null)
    {
    }

    private TechniqueTemplate(string name, string defaultText, Func<Scriban.Runtime.ScriptObject, string?>? direct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(defaultText);
        Name = name;
        DefaultText = defaultText;
        _parsed = new Lazy<PromptTemplate>(() =>
        {
            var (template, diagnostics) = PromptTemplate.Parse(Name, DefaultText, "built-in", SourceLocation.None);
            template = template ?? throw new InvalidOperationException($"The default template '{Name}' does not parse: {diagnostics[0]}");
            return direct is null ? template : template.WithDirect(direct);
        });
    }

    public string Name { get; }

    public string DefaultText { get; }

    /// <summary>The parsed default.</summary>
    public PromptTemplate Default => _parsed.Value;

    /// <summary>A template whose default text is the embedded resource <paramref name="resource"/> of <paramref name="assembly"/>.</summary>
    public static TechniqueTemplate FromResource(string name, Assembly assembly, string resource)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Template '{name}': resource '{resource}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return new TechniqueTemplate(name, reader.ReadToEnd());
    }

    /// <summary>A built-in default shipped in Compose (<c>Techniques/*/Templates/NAME.sbn</c>).</summary>
    internal static TechniqueTemplate BuiltIn(string name) => FromResource(name, typeof(TechniqueTemplate).Assembly, $"Compose.Prompts.{name}.sbn");

    /// <summary>
    /// A built-in default with a plain-code renderer that writes exactly what the Scriban text renders for the data its
    /// technique gives (held to it by DirectTemplateTests over random data), or null to leave it to the interpreter: the
    /// prompts on every call's path skip interpreting. A user's override is always interpreted.
    /// </summary>
    internal static TechniqueTemplate BuiltIn(string name, Func<Scriban.Runtime.ScriptObject, string?> direct)
    {
        var text = BuiltIn(name).DefaultText;
        return new TechniqueTemplate(name, text, direct);
    }
}
