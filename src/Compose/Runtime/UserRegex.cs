using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Compose.Runtime;

/// <summary>
/// A regular expression a pipeline author wrote (vote <c>extract</c>, verify <c>check: { regex }</c>, output
/// <c>extract</c>). Each match has its own time limit, and all user-regex matching of one question shares a
/// time budget (<see cref="RegexTimeBudget"/>, carried by the <see cref="QuestionScope"/>): once it is spent,
/// further matches are skipped (treated as no match) instead of costing a second per candidate, and the run
/// reports what happened (<see cref="RunResult.Warnings"/>). Outside a question only the per-match limit applies.
/// </summary>
public sealed class UserRegex
{
    /// <summary>The longest one match may take.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    private readonly Regex _regex;

    public UserRegex(string pattern, string where, RegexOptions options = RegexOptions.None)
    {
        _regex = new Regex(pattern, options | RegexOptions.CultureInvariant, MatchTimeout);
        Pattern = pattern;
        Where = where;
    }

    public string Pattern { get; }

    /// <summary>Where the pattern was written, for reports: <c>vote extract</c>, <c>verify regex</c>, <c>output extract</c>.</summary>
    public string Where { get; }

    /// <summary>The first match, or null when there is none, the match timed out, or the question's regex time is spent.</summary>
    public Match? Match(string text)
    {
        var budget = QuestionScope.Current?.Regex;
        if (budget is not null && !budget.TryStart(this))
        {
            return null;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var match = _regex.Match(text);
            return match.Success ? match : null;
        }
        catch (RegexMatchTimeoutException)
        {
            budget?.TimedOut(this);
            return null;
        }
        finally
        {
            budget?.Charge(Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>True when the pattern matches (false on time-out or when the question's regex time is spent).</summary>
    public bool IsMatch(string text) => Match(text) is not null;
}

/// <summary>
/// The time one question may spend matching user regular expressions, and what was skipped. Thread-safe:
/// the concurrent nodes of one question share it.
/// </summary>
public sealed class RegexTimeBudget(TimeSpan limit)
{
    /// <summary>The default time per question for all user-regex matching: 2 seconds.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private TimeSpan _spent;
    private int _timeouts;
    private int _skipped;
    private string? _where;
    private string? _pattern;

    public TimeSpan Limit { get; } = limit;

    internal bool TryStart(UserRegex regex)
    {
        lock (_gate)
        {
            if (_spent < Limit)
            {
                return true;
            }

            _skipped++;
            _where ??= regex.Where;
            _pattern ??= regex.Pattern;
            return false;
        }
    }

    internal void TimedOut(UserRegex regex)
    {
        lock (_gate)
        {
            _timeouts++;
            _where ??= regex.Where;
            _pattern ??= regex.Pattern;
        }
    }

    internal void Charge(TimeSpan elapsed)
    {
        lock (_gate)
        {
            _spent += elapsed;
        }
    }

    /// <summary>What to tell the user, or null when every match ran to completion in time.</summary>
    public string? Report()
    {
        lock (_gate)
        {
            if (_timeouts == 0 && _skipped == 0)
            {
                return null;
            }

            var pattern = _pattern!.Length > 80 ? _pattern[..80] + "…" : _pattern;
            var skipped = _skipped == 0 ? "" : $"; the question's regex time ({Limit.TotalSeconds:0.##} s) was spent and {_skipped} more match(es) were skipped";
            return $"the {_where} regex '{pattern}' timed out on {_timeouts} text(s) (each match may take {UserRegex.MatchTimeout.TotalMilliseconds:0} ms){skipped}; those texts counted as not matching. Simplify the pattern (avoid nested quantifiers such as (a+)+).";
        }
    }
}
