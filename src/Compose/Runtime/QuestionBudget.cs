using System.Collections.Immutable;
using Compose.Language;

namespace Compose.Runtime;

/// <summary>
/// What one question has spent and may still spend. Thread-safe: the concurrent calls of one
/// question reserve and record through it (the only state the calls of a question share).
/// </summary>
public sealed class QuestionBudget
{
    private readonly object _gate = new();
    private readonly BudgetSpec _spec;
    private readonly ImmutableDictionary<string, ModelPrice> _prices;
    private int _calls;
    private int _reserved;
    private long _inputTokens;
    private long _outputTokens;
    private decimal _cost;
    private bool _exhausted;

    public QuestionBudget(BudgetSpec spec, QuestionBudget? parent = null)
    {
        _spec = spec;
        _prices = spec.Prices;
        Parent = parent;
    }

    /// <summary>The budget of the enclosing question when this pipeline runs as a model inside another; its limits apply too.</summary>
    public QuestionBudget? Parent { get; }

    public BudgetSpec Spec => _spec;

    /// <summary>True once a call was refused because the budget was spent.</summary>
    public bool Exhausted
    {
        get
        {
            lock (_gate)
            {
                return _exhausted;
            }
        }
    }

    public Usage Spent
    {
        get
        {
            lock (_gate)
            {
                return new Usage(_calls, _inputTokens, _outputTokens, _cost);
            }
        }
    }

    /// <summary>
    /// Reserves one call; throws <see cref="BudgetExceededException"/> when the budget cannot afford it.
    /// Returns the most output tokens the call may use so that the question stays within <c>max_tokens</c>
    /// (and, for a priced model, <c>max_cost</c>) as spent when the call starts — this budget's and every
    /// enclosing one's — or null when no token or cost limit applies.
    /// </summary>
    public long? ReserveCall(string model)
    {
        var outer = Parent?.ReserveCall(model);
        long? own;
        try
        {
            own = ReserveOwn(model);
        }
        catch (BudgetExceededException)
        {
            Parent?.Record(model, 0, 0, completed: false);
            throw;
        }

        return outer is null ? own : own is null ? outer : Math.Min(outer.Value, own.Value);
    }

    private long? ReserveOwn(string model)
    {
        lock (_gate)
        {
            string? reason = null;
            if (_spec.MaxCalls is { } maxCalls && _calls + _reserved >= maxCalls)
            {
                reason = $"max_calls {maxCalls} reached";
            }
            else if (_spec.MaxTokens is { } maxTokens && _inputTokens + _outputTokens >= maxTokens)
            {
                reason = $"max_tokens {maxTokens} reached ({_inputTokens + _outputTokens} spent)";
            }
            else if (_spec.MaxCost is { } maxCost && _cost >= maxCost)
            {
                reason = $"max_cost {maxCost} reached ({_cost} spent)";
            }

            if (reason is not null)
            {
                _exhausted = true;
                throw new BudgetExceededException($"budget exhausted before a call to '{model}': {reason}");
            }

            _reserved++;
            long? cap = _spec.MaxTokens is { } tokens ? tokens - (_inputTokens + _outputTokens) : null;
            if (_spec.MaxCost is { } money && _prices.TryGetValue(model, out var price) && price.OutputPer1K > 0)
            {
                var affordable = (money - _cost) * 1000m / price.OutputPer1K;
                var byCost = affordable >= long.MaxValue ? long.MaxValue : (long)Math.Floor(affordable);
                cap = cap is null ? byCost : Math.Min(cap.Value, byCost);
            }

            return cap is null ? null : Math.Max(1, cap.Value);
        }
    }

    /// <summary>Records a finished call (or releases the reservation of a failed one when <paramref name="completed"/> is false).</summary>
    public Usage Record(string model, long inputTokens, long outputTokens, bool completed = true)
    {
        Parent?.Record(model, inputTokens, outputTokens, completed);
        var cost = _prices.TryGetValue(model, out var price) ? price.Cost(inputTokens, outputTokens) : 0m;

        lock (_gate)
        {
            _reserved--;
            if (!completed)
            {
                return Usage.Zero;
            }

            _calls++;
            _inputTokens += inputTokens;
            _outputTokens += outputTokens;
            _cost = _cost > decimal.MaxValue - cost ? decimal.MaxValue : _cost + cost;
        }

        return new Usage(1, inputTokens, outputTokens, cost);
    }

    /// <summary>Marks the budget as spent (used when a technique gives up because of it).</summary>
    public void MarkExhausted()
    {
        lock (_gate)
        {
            _exhausted = true;
        }
    }
}
