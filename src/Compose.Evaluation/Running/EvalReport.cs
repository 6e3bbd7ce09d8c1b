using System.Collections.Immutable;
using Compose.Evaluation.Statistics;

namespace Compose.Evaluation.Running;

/// <summary>The outcome of evaluating one pipeline on one benchmark.</summary>
public sealed record EvalReport(string Name, ImmutableArray<ItemResult> Items, int Resumed)
{
    public Proportion Accuracy => Proportion.Wilson(Items.Count(i => i.Correct), Items.Length);

    /// <summary>Share of items where any candidate was correct; null when the scorer could not say.</summary>
    public Proportion? Coverage => Items.Any(i => i.Covered is null) || Items.IsEmpty ? null : Proportion.Wilson(Items.Count(i => i.Covered == true), Items.Length);

    /// <summary>
    /// Coverage at k = 1, 2, 4, ... first-draft samples (unbiased estimator), up to the fewest samples any
    /// item has; empty when an item has none or the scorer could not score them.
    /// </summary>
    public ImmutableArray<(int K, double Value)> PassAtK =>
        Items.Any(i => i.Samples is null) ? [] : Statistics.PassAtK.Curve([.. Items.Select(i => (i.Samples!.Value, i.SamplesCorrect ?? 0))]);

    public double MeanScore => Items.IsEmpty ? 0 : Items.Average(i => i.Score);

    public long Calls => Items.Sum(i => (long)i.Calls);

    public long Tokens => Items.Sum(i => i.InputTokens + i.OutputTokens);

    /// <summary>Tokens the models generated (the output side of <see cref="Tokens"/>).</summary>
    public long OutputTokens => Items.Sum(i => i.OutputTokens);

    public decimal Cost => Items.Sum(i => i.Cost);

    public int Errors => Items.Count(i => i.Error is not null);

    /// <summary>Items whose answer the scorer could not judge (counted as wrong).</summary>
    public int ScoreErrors => Items.Count(i => i.ScoreError is not null);

    public Percentiles LatencyMs => Percentiles.Of(Items.Select(i => i.LatencyMs));
}
