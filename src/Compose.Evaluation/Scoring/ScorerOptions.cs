namespace Compose.Evaluation.Scoring;

/// <summary>Limits of scorers that run user-given code: <c>program:</c> checks and <c>regex:</c> patterns.</summary>
public sealed record ScorerOptions
{
    /// <summary>The default wall-clock limit of one <c>program:</c> check (30 s).</summary>
    public static readonly TimeSpan DefaultProgramTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest <c>--scorer-timeout</c> accepted (1 hour).</summary>
    public static readonly TimeSpan MaxProgramTimeout = TimeSpan.FromHours(1);

    /// <summary>The default time one <c>regex:</c> match may take (1 s).</summary>
    public static readonly TimeSpan DefaultRegexTimeout = TimeSpan.FromSeconds(1);

    public static ScorerOptions Default { get; } = new();

    /// <summary>How long one <c>program:</c> check may run before its process tree is killed.</summary>
    public TimeSpan ProgramTimeout { get; init; } = DefaultProgramTimeout;

    /// <summary>How long one <c>regex:</c> match may take before it is abandoned.</summary>
    public TimeSpan RegexTimeout { get; init; } = DefaultRegexTimeout;
}
