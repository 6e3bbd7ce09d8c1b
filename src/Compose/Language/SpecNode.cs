using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// A provider-specific value from a pipeline file, kept as a small tree with locations so that
/// providers the language does not know (such as <c>onnx</c>) can read and check their own options.
/// </summary>
public abstract record SpecNode(SourceLocation Location);

public sealed record SpecScalar(string Value, SourceLocation Location) : SpecNode(Location)
{
    public override string ToString() => Value;
}

public sealed record SpecSequence(ImmutableArray<SpecNode> Items, SourceLocation Location) : SpecNode(Location);

public sealed record SpecMapping(ImmutableArray<SpecEntry> Entries, SourceLocation Location) : SpecNode(Location)
{
    public SpecNode? this[string key] => Entries.FirstOrDefault(e => e.Key == key)?.Value;
}

public sealed record SpecEntry(string Key, SourceLocation KeyLocation, SpecNode Value);
