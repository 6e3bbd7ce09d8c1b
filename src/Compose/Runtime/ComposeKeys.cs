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
}
