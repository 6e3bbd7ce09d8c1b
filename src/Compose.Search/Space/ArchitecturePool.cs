using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;

namespace Compose.Search.Space;

/// <summary>An architecture with its static per-question bound.</summary>
public sealed record PooledArchitecture(Architecture Architecture, CostBound Bound, decimal? MaxCost);

/// <summary>
/// Every architecture of a space whose static bound (compiled by Compose's compiler) fits the budget, in
/// a fixed order. Architectures over the budget are counted in <see cref="OverBudget"/> and never run.
/// Axis values that cannot matter (fusers without fusion layers) are not multiplied out.
/// </summary>
public sealed record ArchitecturePool(SearchSpace Space, ImmutableArray<PooledArchitecture> Feasible, int OverBudget, ImmutableArray<Diagnostic> Diagnostics)
{
    public static ArchitecturePool Build(SearchSpace space, ModelProviderCatalog catalog)
    {
        var feasible = ImmutableArray.CreateBuilder<PooledArchitecture>();
        var over = 0;
        var diagnostics = new List<Diagnostic>();
        var context = new ModelProviderContext { BaseDirectory = space.BaseDirectory, Catalog = catalog, Files = space.Files };
        foreach (var a in Enumerate(space))
        {
            var (spec, read) = ArchitectureWriter.ToSpec(a, space, withBudget: false);
            var compiled = spec is null ? null : PipelineCompiler.Compile(spec, catalog, context);
            if (spec is null || compiled is null || !compiled.Success)
            {
                if (diagnostics.Count == 0)
                {
                    diagnostics.AddRange(read.AddRange(compiled?.Diagnostics ?? []).Where(d => d.IsError));
                }

                continue;
            }

            var g = compiled.Graph!;
            var b = space.Budget;
            if ((b.MaxCalls is { } calls && g.Bound.Calls > calls) || (b.MaxTokens is { } tokens && g.Bound.TotalTokens > tokens)
                || (b.MaxCost is { } cost && (g.MaxCost is null || g.MaxCost > cost)))
            {
                over++;
                continue;
            }

            feasible.Add(new PooledArchitecture(a, g.Bound, g.MaxCost));
        }

        return new ArchitecturePool(space, feasible.ToImmutable(), over, [.. diagnostics]);
    }

    /// <summary>Every architecture of the space, in a fixed order.</summary>
    public static IEnumerable<Architecture> Enumerate(SearchSpace s)
    {
        foreach (var g in s.Generators)
        {
            foreach (var n in s.Samples)
            {
                foreach (var c in s.Critique)
                {
                    foreach (var r in s.RankKeep)
                    {
                        foreach (var l in s.FusionLayers)
                        {
                            foreach (var f in l == 0 ? s.Fusers.Take(1) : s.Fusers)
                            {
                                foreach (var final in s.Final)
                                {
                                    foreach (var t in s.Temperatures)
                                    {
                                        yield return new Architecture(g, n, c, r, l, f, final, t);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
