namespace Compose.Language;

/// <summary>Suggests the closest valid word for a misspelt one (optimal string alignment distance).</summary>
public static class DidYouMean
{
    /// <summary>The closest candidate within a distance proportional to its length, or null.</summary>
    public static string? Suggest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = string.Equals(word, candidate, StringComparison.OrdinalIgnoreCase)
                ? 0
                : Distance(word.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        if (best is null)
        {
            return null;
        }

        var allowed = Math.Max(1, Math.Min(3, (best.Length + 1) / 3));
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>A hint: "did you mean 'x'?" when one is close, else the list of valid words.</summary>
    public static string Hint(string word, IReadOnlyCollection<string> candidates, string what = "valid values")
    {
        var suggestion = Suggest(word, candidates);
        if (suggestion is not null)
        {
            return $"did you mean '{suggestion}'?";
        }

        return candidates.Count == 0 ? $"there are no {what} here" : $"{what}: {string.Join(", ", candidates)}";
    }

    /// <summary>Damerau-Levenshtein distance (optimal string alignment: adjacent transpositions count 1).</summary>
    public static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64)
        {
            return Math.Max(a.Length, b.Length);
        }

        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
