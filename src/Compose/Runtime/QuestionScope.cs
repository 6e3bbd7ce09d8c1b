namespace Compose.Runtime;

/// <summary>
/// The ambient context of the question being answered, flowing with the async calls of that
/// question (an <see cref="AsyncLocal{T}"/>), so middleware in the model stack can meter usage
/// against the right budget without any state shared between questions. Only a running pipeline enters a scope;
/// hosts and middleware read <see cref="Current"/>.
/// </summary>
public sealed class QuestionScope
{
    private static readonly AsyncLocal<QuestionScope?> CurrentScope = new();

    internal QuestionScope(QuestionBudget budget, RegexTimeBudget? regex = null)
    {
        Budget = budget;
        Regex = regex ?? new RegexTimeBudget(RegexTimeBudget.DefaultLimit);
    }

    public static QuestionScope? Current => CurrentScope.Value;

    public QuestionBudget Budget { get; }

    /// <summary>The time this question may still spend matching user regular expressions.</summary>
    public RegexTimeBudget Regex { get; }

    /// <summary>Makes <paramref name="scope"/> current for the calling async flow until disposed.</summary>
    internal static IDisposable Enter(QuestionScope scope)
    {
        var previous = CurrentScope.Value;
        CurrentScope.Value = scope;
        return new Restore(previous);
    }

    private sealed class Restore(QuestionScope? previous) : IDisposable
    {
        public void Dispose() => CurrentScope.Value = previous;
    }
}
