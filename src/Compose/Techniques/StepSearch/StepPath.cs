using System.Collections.Immutable;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// A partial answer of a step-level search (a particle, a beam): its steps, each step's reward, its aggregated reward,
/// whether it is complete, and what its lineage spent.
/// </summary>
internal sealed record StepPath(string Id, string? Parent, ImmutableArray<string> Steps, ImmutableArray<double> StepRewards, double Reward, bool Finished, Usage Usage)
{
    public static StepPath Empty { get; } = new("", null, [], [], 0, false, Usage.Zero);

    public string Text => string.Concat(Steps);

    /// <summary>The text of the step written last ("" for none).</summary>
    public string LastStep => Steps.IsEmpty ? "" : Steps[^1];

    public Candidate ToCandidate(TechniqueContext context, string model, int sample) => new()
    {
        Id = Id,
        Text = Text.TrimEnd(),
        Producer = context.NodeId,
        Model = model,
        Sample = sample,
        Score = Reward,
        Usage = Usage,
    };
}

/// <summary>Helpers shared by the searches.</summary>
internal static class StepSearch
{
    /// <summary>
    /// Runs <paramref name="count"/> pieces of work side by side; a piece the budget refused gives null (the others keep
    /// going). Other failures propagate.
    /// </summary>
    public static async Task<T?[]> UntilBudget<T>(int count, Func<int, Task<T>> work)
        where T : class
    {
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            try
            {
                return await work(i).ConfigureAwait(false);
            }
            catch (BudgetExceededException)
            {
                return null;
            }
        });
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>A deterministic random source for the search's draws at (<paramref name="purpose"/>, <paramref name="index"/>).</summary>
    public static Random RandomFor(TechniqueContext context, string purpose, int index)
    {
        var seed = SeedDerivation.Derive(context.RunSeed, context.Question.Text, $"{context.NodeId}/{purpose}", index);
        return new Random((int)(seed ^ (seed >>> 32)));
    }

    /// <summary>The warning of a search the budget stopped.</summary>
    public static void ReportBudgetStop(TechniqueContext context, string what, int step, int maxSteps, int? iteration) =>
        context.Report(new RunWarning(
            $"{context.NodeId}: the budget stopped the {what} at step {step} of {maxSteps}{(iteration is { } i ? $" (iteration {i})" : "")}; the answer is the best of what was written so far")
        {
            QuestionId = context.Question.Id,
            Code = RuntimeDiagnosticCodes.SearchStoppedByBudget,
        });

    /// <summary>The path a trace shows.</summary>
    public static SearchPath Traced(StepPath path, string text, double? weight) =>
        new(path.Id, path.Parent, text, path.StepRewards.IsEmpty ? 0 : path.StepRewards[^1], path.Reward, weight, path.Finished);
}
