using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// A reward, as a technique's option (<c>reward:</c>): a score in [0, 1] of a whole answer (outcome reward) or of
/// each step prefix of a partial answer (process reward). Its source is a model's judgement (<see cref="Model"/>) or
/// a program check (<see cref="Check"/>); over steps, <see cref="Aggregate"/> combines the step scores.
/// <code>
/// reward: judge                                   # a model's judgement, judge: auto, aggregate: last
/// reward: { model: judge, judge: yes_no, aggregate: min }
/// reward: { check: { number: true } }            # 1 when the check passes, else 0
/// </code>
/// </summary>
public sealed record RewardSpec(ModelRef? Model, CheckSpec? Check, RewardJudge Judge, RewardAggregate Aggregate, SourceLocation Location)
{
    /// <summary>The keys of a reward mapping.</summary>
    public static ImmutableArray<string> Keys { get; } = ["model", "check", "judge", "aggregate"];

    /// <summary>The words of <c>judge:</c>, in the order of <see cref="RewardJudge"/>.</summary>
    public static ImmutableArray<string> JudgeWords { get; } = ["auto", "yes_no", "score"];

    /// <summary>The words of <c>aggregate:</c>, in the order of <see cref="RewardAggregate"/>.</summary>
    public static ImmutableArray<string> AggregateWords { get; } = ["last", "min", "product", "mean"];

    /// <summary>True when a model judges (else a program check scores).</summary>
    public bool ByModel => Check is null;
}

/// <summary>How a model judges a reward.</summary>
public enum RewardJudge
{
    /// <summary>The probability of "yes" when the model reports log-probabilities, else a 0-10 score (default).</summary>
    Auto,

    /// <summary>The probability of "yes" from the log-probability of a one-token yes/no reply; the model must report log-probabilities.</summary>
    YesNo,

    /// <summary>A 0-10 score parsed from the reply, divided by 10.</summary>
    Score,
}

/// <summary>How a process reward combines the scores of an answer's steps.</summary>
public enum RewardAggregate
{
    /// <summary>The last step's score (the particle-filtering paper's choice; default).</summary>
    Last,

    /// <summary>The lowest step score: an answer is as good as its worst step.</summary>
    Min,

    /// <summary>The product of the step scores.</summary>
    Product,

    /// <summary>The mean step score.</summary>
    Mean,
}
