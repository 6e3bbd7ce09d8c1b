namespace Compose.Language;

/// <summary>A position in a source file: 1-based line and column, as editors show them.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    /// <summary>A location for things that have no place in a file (command-line input, defaults).</summary>
    public static SourceLocation None { get; } = new("", 0, 0);

    public bool IsNone => Line == 0;

    public override string ToString() => IsNone ? File : $"{File}:{Line}:{Column}";
}
