using System.Text.RegularExpressions;
using Compose.Language;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>A verifier that is a program: a regular expression, a numeric final answer (optionally equal to a value), or any final answer.</summary>
public sealed class AnswerCheck
{
    private readonly CheckSpec _spec;
    private readonly UserRegex? _regex;

    public AnswerCheck(CheckSpec spec)
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
                    // Read and compared as the evaluation's number scorer does (AnswerNumber): 3/4 is 0.75.
                    if (AnswerNumber.Read(AnswerExtractor.Extract(text)) is not { } value)
                    {
                        return false;
                    }

                    return _spec.Expected is null
                        || (AnswerNumber.Read(_spec.Expected) is { } expected && AnswerNumber.Same(value, expected));
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
