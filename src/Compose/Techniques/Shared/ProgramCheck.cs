using System.Text.RegularExpressions;
using Compose.Language;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>A verifier that is a program: a regular expression, a numeric final answer (optionally equal to a value), or any final answer.</summary>
public sealed class ProgramCheck
{
    private readonly CheckSpec _spec;
    private readonly UserRegex? _regex;

    public ProgramCheck(CheckSpec spec)
    {
        _spec = spec;
        if (spec.Kind == CheckKind.Regex && spec.Pattern is not null)
        {
            _regex = new UserRegex(spec.Pattern, "verify check");
        }
    }

    public bool Passes(string text)
    {
        try
        {
            switch (_spec.Kind)
            {
                case CheckKind.Regex:
                    return _regex?.IsMatch(text) ?? false;
                case CheckKind.Number:
                    var answer = AnswerExtractor.Extract(text);
                    if (!AnswerExtractor.TryNumber(answer, out var value))
                    {
                        return false;
                    }

                    return _spec.Expected is null
                        || (AnswerExtractor.TryNumber(AnswerExtractor.Normalize(_spec.Expected), out var expected) && expected == value);
                case CheckKind.HasAnswer:
                    return !string.IsNullOrWhiteSpace(AnswerExtractor.Extract(text));
                default:
                    return false;
            }
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
