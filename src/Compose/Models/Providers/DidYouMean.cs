namespace Compose.Models.Providers;

/// <summary>Suggests the closest known name for a misspelt one (edit distance), for "did you mean" hints.</summary>
internal static class DidYouMean
{
    /// <summary>The closest of <paramref name="candidates"/> within a distance of a third of the name's length (at least 2), or null.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        var limit = Math.Max(2, name.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return bestDistance <= limit ? best : null;
    }

    /// <summary>The hint text for an unknown name: <c>did you mean 'x'?</c> or the list of known names.</summary>
    public static string Hint(string name, IReadOnlyCollection<string> candidates) =>
        Closest(name, candidates) is { } match
            ? $"did you mean '{match}'?"
            : $"known options: {string.Join(", ", candidates)}";

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
