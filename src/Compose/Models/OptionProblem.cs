using Compose.Language;

namespace Compose.Models;

/// <summary>
/// How a provider words one kind of problem with its model options, for <see cref="ModelOptionsReader"/>: the code,
/// and optionally the message and the hint. Both are given the text the problem is about: the key for an unknown
/// option or a list where a single value belongs, the value as written for a bad value ("" when it is not a single
/// value), "" for a missing option. A problem with no message takes the reader's standard message and, when it has
/// no hint either, the standard hint; a problem with its own message has exactly the hint it gives (none if null).
/// </summary>
public sealed class OptionProblem
{
    /// <summary>A fixed message and hint; a null message takes the reader's standard one (and then a null hint the standard hint).</summary>
    public OptionProblem(string code, string? message = null, string? hint = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        Message = message is null ? null : _ => message;
        Hint = hint is null ? null : _ => hint;
    }

    /// <summary>A message and a hint made from the text the problem is about (see <see cref="OptionProblem"/>).</summary>
    public OptionProblem(string code, Func<string, string> message, Func<string, string?>? hint = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentNullException.ThrowIfNull(message);
        Code = code;
        Message = message;
        Hint = hint;
    }

    /// <summary>A message made from the text the problem is about, and a fixed hint.</summary>
    public OptionProblem(string code, Func<string, string> message, string hint)
        : this(code, message, _ => hint)
    {
    }

    public string Code { get; }

    /// <summary>The message, from the text the problem is about; null for the reader's standard message.</summary>
    public Func<string, string>? Message { get; }

    /// <summary>The hint, from the text the problem is about; null for none (or the standard hint when <see cref="Message"/> is null too).</summary>
    public Func<string, string?>? Hint { get; }

    public DiagnosticSeverity Severity { get; init; } = DiagnosticSeverity.Error;
}
