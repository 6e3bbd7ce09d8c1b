namespace Compose.Language;

public enum DiagnosticSeverity
{
    Warning,
    Error,
}

/// <summary>
/// A problem a user can fix: where it is, a stable code (documented in docs/diagnostics.md),
/// what is wrong and what to do about it.
/// </summary>
public sealed record Diagnostic(
    string Code,
    DiagnosticSeverity Severity,
    string Message,
    SourceLocation Location,
    string? Hint = null)
{
    public static Diagnostic Error(string code, SourceLocation location, string message, string? hint = null) =>
        new(code, DiagnosticSeverity.Error, message, location, hint);

    public static Diagnostic Warning(string code, SourceLocation location, string message, string? hint = null) =>
        new(code, DiagnosticSeverity.Warning, message, location, hint);

    public bool IsError => Severity == DiagnosticSeverity.Error;

    /// <summary>The one-line form compilers use: <c>file:line:col: error CODE: message</c>.</summary>
    public override string ToString()
    {
        var severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var text = $"{Location}: {severity} {Code}: {Message}";
        return Hint is null ? text : $"{text}\n  hint: {Hint}";
    }
}

/// <summary>Thrown when a phase cannot continue because of user errors; carries every diagnostic found.</summary>
public sealed class DiagnosticException(IReadOnlyList<Diagnostic> diagnostics)
    : Exception(diagnostics.Count == 0 ? "Invalid input." : diagnostics[0].ToString())
{
    public IReadOnlyList<Diagnostic> Diagnostics { get; } = diagnostics;
}
