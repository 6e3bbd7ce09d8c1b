using System.Globalization;

namespace Compose.Evaluation.Running;

/// <summary>Orders item ids numerically when both are integers, else ordinally.</summary>
public sealed class NaturalIdComparer : IComparer<string>
{
    public static NaturalIdComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (long.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) && long.TryParse(y, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b))
        {
            return a.CompareTo(b);
        }

        return string.CompareOrdinal(x, y);
    }
}
