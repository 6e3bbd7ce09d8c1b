using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// The located YAML tree the reader works on. Unlike YamlDotNet's representation model it keeps
/// duplicate keys (so they can be reported rather than thrown) and whether a scalar was quoted.
/// </summary>
internal abstract record YNode(SourceLocation Location)
{
    public abstract string Describe();
}

/// <summary>A scalar; <see cref="IsPlain"/> is false when it was quoted, a block scalar or tagged <c>!!str</c>.</summary>
internal sealed record YScalar(string Value, bool IsPlain, SourceLocation Location) : YNode(Location)
{
    /// <summary>A plain empty value, <c>~</c> or <c>null</c>.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "nothing" : IsPlain ? $"'{Value}'" : $"the string \"{Value}\"";
}

internal sealed record YSequence(ImmutableArray<YNode> Items, SourceLocation Location) : YNode(Location)
{
    public override string Describe() => "a list";
}

internal sealed record YMapping(ImmutableArray<YEntry> Entries, SourceLocation Location) : YNode(Location)
{
    public override string Describe() => "a mapping";
}

internal sealed record YEntry(YNode Key, YNode Value)
{
    /// <summary>The key text when the key is a scalar, else null.</summary>
    public string? Name => (Key as YScalar)?.Value;
}
