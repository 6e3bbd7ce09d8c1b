using System.Collections.Immutable;
using Compose.Search.Trials;

namespace Compose.Search.Reporting;

/// <summary>The trials no other trial beats on both accuracy (higher) and calls per question (lower), by cost.</summary>
public static class ParetoFront
{
    public static ImmutableArray<TrialRecord> Of(IEnumerable<TrialRecord> trials)
    {
        var list = trials.ToList();
        return [.. list.Where(t => !list.Any(o => Dominates(o, t)))
            .GroupBy(t => (t.Accuracy, t.CallsPerItem)).Select(g => g.First())
            .OrderBy(t => t.CallsPerItem).ThenByDescending(t => t.Accuracy)];
    }

    private static bool Dominates(TrialRecord a, TrialRecord b) =>
        a.Accuracy >= b.Accuracy && a.CallsPerItem <= b.CallsPerItem && (a.Accuracy > b.Accuracy || a.CallsPerItem < b.CallsPerItem);
}
