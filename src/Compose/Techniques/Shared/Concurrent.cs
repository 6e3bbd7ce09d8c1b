using System.Collections.Immutable;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>Runs the independent calls of a technique side by side, keeping results in input order.</summary>
public static class Concurrent
{
    /// <summary>All results in order; any failure fails the whole.</summary>
    public static async Task<T[]> All<T>(int count, Func<int, Task<T>> work) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(work)).ConfigureAwait(false);

    /// <summary>
    /// Results of the calls that completed before the question's budget ran out, in order. Throws
    /// <see cref="BudgetExceededException"/> only if none completed; other failures propagate.
    /// </summary>
    public static async Task<ImmutableArray<T>> WithinBudget<T>(int count, Func<int, Task<T>> work)
    {
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            try
            {
                return (Ok: true, Value: await work(i).ConfigureAwait(false));
            }
            catch (BudgetExceededException)
            {
                return (Ok: false, Value: default(T)!);
            }
        }).ToArray();
        var results = await Task.WhenAll(tasks).ConfigureAwait(false);
        var done = results.Where(r => r.Ok).Select(r => r.Value).ToImmutableArray();
        if (done.IsEmpty && count > 0)
        {
            throw new BudgetExceededException("budget exhausted before any call of the step completed");
        }

        return done;
    }
}
