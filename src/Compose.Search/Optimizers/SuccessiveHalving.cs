using Compose.Search.Trials;

namespace Compose.Search.Optimizers;

/// <summary>
/// Multi-fidelity successive halving: <c>trials</c> random architectures on a small slice of the
/// benchmark, the best 1/<see cref="Eta"/> promoted to a slice <see cref="Eta"/> times larger, and so on
/// up to the full benchmark. The schedule is a pure function of the finished trials. <c>--trials</c>
/// is the number of architectures started; the rungs add about half as many trials again (η = 3).
/// </summary>
public sealed class SuccessiveHalving(int eta = 3) : IOptimizer
{
    public int Eta { get; } = eta;

    public string Name => "halving";

    public Proposal? Next(OptimizerContext context, IReadOnlyList<TrialRecord> history)
    {
        var n0 = Math.Min(context.Trials, context.Pool.Feasible.Length);
        var sizes = new List<int> { n0 };
        while (sizes[^1] > 1 && context.FullFidelity / Pow(sizes.Count) >= 1)
        {
            sizes.Add((sizes[^1] + Eta - 1) / Eta);
        }

        var rungs = sizes.Count;
        int Fidelity(int rung) => Math.Max(1, context.FullFidelity / Pow(rungs - 1 - rung));

        var k = history.Count;
        var start = 0;
        for (var r = 0; r < rungs; r++)
        {
            if (k < start + sizes[r])
            {
                if (r == 0)
                {
                    var order = context.Pool.Feasible.Select(p => p.Architecture).ToArray();
                    context.RandomFor(-1).Shuffle(order);
                    return new Proposal(order[k], Fidelity(0));
                }

                var previous = history.Skip(start - sizes[r - 1]).Take(sizes[r - 1])
                    .Select((t, i) => (t, i))
                    .OrderByDescending(x => x.t.Accuracy).ThenBy(x => x.t.CallsPerItem).ThenBy(x => x.i)
                    .Select(x => x.t.Architecture)
                    .Take(sizes[r]).ToList();
                return new Proposal(previous[k - start], Fidelity(r));
            }

            start += sizes[r];
        }

        return null;
    }

    private int Pow(int n)
    {
        var p = 1;
        for (var i = 0; i < n; i++)
        {
            p *= Eta;
        }

        return p;
    }
}
