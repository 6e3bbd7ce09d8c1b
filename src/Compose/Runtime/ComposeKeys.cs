using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Compose.Runtime;

/// <summary>
/// The keys Compose reads and writes in <c>AdditionalProperties</c> of chat options and responses, in one place for
/// every project (runtime, providers, serving, Semantic Kernel).
/// </summary>
public static class ComposeKeys
{
    /// <summary>Options: the most model calls the question may make (overrides <c>budget.max_calls</c>).</summary>
    public const string MaxCalls = "compose.max_calls";

    /// <summary>Response: the model calls the question made.</summary>
    public const string Calls = "compose.calls";

    /// <summary>Response: true when the question stopped on its budget.</summary>
    public const string BudgetExhausted = "compose.budget_exhausted";

    /// <summary>Response: how many candidates the question produced.</summary>
    public const string Candidates = "compose.candidates";

    /// <summary>Response: the sum of the reply's token log-probabilities (a double), from a provider that reports them.</summary>
    public const string LogProbSum = "logprob_sum";

    /// <summary>Response: each reply token's log-probability (a double[]).</summary>
    public const string LogProbs = "logprobs";

    /// <summary>Options: the per-question call budget as Semantic Kernel's extension data names it (read when <see cref="MaxCalls"/> is absent).</summary>
    public const string MaxCallsAlias = "max_calls";

    /// <summary>Options: the run seed as extension data names it (read when <see cref="ChatOptions.Seed"/> is not set).</summary>
    public const string SeedAlias = "seed";

    /// <summary>
    /// The per-question call budget a caller asked for: <see cref="MaxCalls"/>, else <see cref="MaxCallsAlias"/>, given as
    /// any whole number, a numeric JSON value or numeric text; clamped to 0..int.MaxValue. Null when absent or not a
    /// whole number. The one reader of it, for the pipeline as a chat client, Semantic Kernel and serve.
    /// </summary>
    public static int? MaxCallsOf(AdditionalPropertiesDictionary? properties) =>
        properties is null ? null
        : (properties.TryGetValue(MaxCalls, out var value) || properties.TryGetValue(MaxCallsAlias, out value)) && Whole(value) is { } calls
            ? (int)Math.Clamp(calls, 0, int.MaxValue)
            : null;

    /// <summary>The run seed a caller asked for: <see cref="ChatOptions.Seed"/>, else <see cref="SeedAlias"/> (any whole number or numeric text).</summary>
    public static long? SeedOf(ChatOptions? options) =>
        options?.Seed ?? (options?.AdditionalProperties?.TryGetValue(SeedAlias, out var value) == true ? Whole(value) : null);

    /// <summary>A whole number given as an integer type, a whole double, a numeric JSON value or numeric text.</summary>
    internal static long? Whole(object? value) => value switch
    {
        int i => i,
        long l => l,
        short s => s,
        uint u => u,
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var n) => n,
        JsonElement { ValueKind: JsonValueKind.String } e when long.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        string text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };
}
