namespace Compose.Language;

/// <summary>
/// A technique from outside Compose (registered by a host or loaded with <c>--techniques</c>) that throws has a bug of
/// its own: it is reported as <c>CMP409</c> at its place, naming its type, and not as an internal error of Compose.
/// A built-in that throws is Compose's bug and is left to the internal-error reports.
/// </summary>
internal static class TechniqueFailure
{
    public const string Hint = "this is a bug in the technique; please report it to its author";

    /// <summary>True when <paramref name="code"/> (a definition or a runnable technique) comes from outside Compose.</summary>
    public static bool IsExternal(object code) => code.GetType().Assembly != typeof(TechniqueFailure).Assembly;

    /// <summary>The <c>CMP409</c> for <paramref name="exception"/>, thrown by <paramref name="code"/> while doing <paramref name="what"/>.</summary>
    public static Diagnostic Of(string kind, object code, string what, Exception exception, SourceLocation location) =>
        Diagnostic.Error(
            DiagnosticCodes.TechniqueFailed,
            location,
            $"technique '{kind}' ({code.GetType().FullName}) failed while {what}: {exception.GetType().Name}: {exception.Message}",
            Hint);
}
