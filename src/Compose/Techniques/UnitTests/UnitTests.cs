using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// A model writes <c>count</c> unit tests for the question (one call); then each candidate is checked
/// against all of them (one call each, side by side). Candidates are ordered by tests passed (ties
/// keep input order), the best <c>keep</c> continue, each scored with its share of tests passed and
/// carrying its <see cref="TestResult"/>s.
/// </summary>
public sealed partial class UnitTests(UnitTestsSpec spec) : ITechnique
{
    public UnitTestsSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var input = context.Input;
        var writeData = context.NewPromptModel();
        writeData["count"] = Spec.Count;
        var written = await context.CallAsync(context.Model, "unit_tests_write", 0, context.Render("unit_tests_write", writeData), cancellationToken).ConfigureAwait(false);
        var tests = ParseTests(written.Text, Spec.Count);
        if (tests.IsEmpty)
        {
            return [.. input.Take(Spec.Keep)];
        }

        var results = await Concurrent.All(input.Length, async i =>
        {
            var data = context.NewPromptModel();
            data["candidate"] = CandidatePrompts.Candidate(input[i], i + 1, withCritiques: false);
            data["tests"] = PromptModels.Strings(tests);
            var reply = await context.CallAsync(context.Model, "unit_tests_check", i, context.Render("unit_tests_check", data), cancellationToken).ConfigureAwait(false);
            return ParseResults(reply.Text, tests);
        }).ConfigureAwait(false);

        return [.. Enumerable.Range(0, input.Length)
            .Select(i => input[i] with { Tests = results[i], Score = (double)results[i].Count(r => r.Passed) / tests.Length })
            .Select((c, i) => (c, i))
            .OrderByDescending(x => x.c.Score)
            .ThenBy(x => x.i)
            .Take(Spec.Keep)
            .Select(x => x.c)];
    }

    /// <summary>The tests a model wrote: lines starting with "- ", "* " or "N." / "N)", at most <paramref name="max"/>.</summary>
    public static ImmutableArray<string> ParseTests(string reply, int max) =>
        [.. reply.Split('\n')
            .Select(l => TestLine().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value.Trim())
            .Where(t => t.Length > 0)
            .Take(max)];

    /// <summary>Reads "N: PASS|FAIL" lines; a test with no line counts as failed.</summary>
    public static ImmutableArray<TestResult> ParseResults(string reply, ImmutableArray<string> tests)
    {
        var verdicts = new bool?[tests.Length];
        foreach (Match m in ResultLine().Matches(reply))
        {
            if (int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= tests.Length)
            {
                verdicts[n - 1] ??= m.Groups[2].Value.Equals("PASS", StringComparison.OrdinalIgnoreCase);
            }
        }

        return [.. tests.Select((t, i) => new TestResult(i + 1, t, verdicts[i] == true, verdicts[i] is null ? "no verdict" : null))];
    }

    [GeneratedRegex(@"^\s*(?:[-*•]|\d+[.)])\s+(.+)$", RegexOptions.None, 1000)]
    private static partial Regex TestLine();

    [GeneratedRegex(@"(\d+)\s*[:.)-]\s*\**\s*(PASS|FAIL)", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex ResultLine();
}
