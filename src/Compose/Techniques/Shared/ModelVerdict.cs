using System.Text.RegularExpressions;

namespace Compose.Techniques;

/// <summary>Reads a model verifier's reply: "Verdict: yes/no", else the last standalone yes/no/correct/incorrect.</summary>
public static partial class ModelVerdict
{
    public static bool? Parse(string reply)
    {
        var verdict = Labelled().Matches(reply);
        if (verdict.Count > 0)
        {
            return IsYes(verdict[^1].Groups[1].Value);
        }

        var words = Word().Matches(reply);
        return words.Count > 0 ? IsYes(words[^1].Groups[1].Value) : null;
    }

    private static bool IsYes(string word) =>
        word.Equals("yes", StringComparison.OrdinalIgnoreCase) || word.Equals("correct", StringComparison.OrdinalIgnoreCase)
        || word.Equals("true", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"verdict\s*[:=]?\s*\**\s*(yes|no|correct|incorrect|true|false)\b", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex Labelled();

    [GeneratedRegex(@"\b(yes|no|correct|incorrect|true|false)\b", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex Word();
}
