using System.Collections.Immutable;
using Compose.Models;

namespace Compose.Runtime;

/// <summary>Which summary of a candidate's token confidences a technique ranks or weighs by.</summary>
public enum ConfidenceMeasure
{
    /// <summary>The mean token confidence over the whole reply.</summary>
    Mean,

    /// <summary>DeepConf's lowest group confidence: the least confident sliding window.</summary>
    LowestGroup,

    /// <summary>DeepConf's bottom-10% group confidence: the mean of the least confident tenth of the windows.</summary>
    Bottom10,

    /// <summary>DeepConf's tail confidence: the mean token confidence over the last tokens.</summary>
    Tail,

    /// <summary>The mean log-probability of the chosen tokens.</summary>
    MeanLogProbability,

    /// <summary>Minus the mean entropy of the reported alternatives (less spread, more confident).</summary>
    Entropy,
}

/// <summary>
/// What a candidate's token log-probabilities say about its confidence (DeepConf, arXiv 2508.15260; its_hub's entropy
/// weights). The token confidence of token i is <c>C_i = -(1/k) Σ_j log P_i(j)</c> over its k reported alternatives (the
/// chosen token's own <c>-log P</c> when none were reported): high when the model had one clear choice. A group is a
/// sliding window of <c>window</c> consecutive tokens (one group of all tokens when the reply is shorter); its
/// confidence is the mean token confidence in it.
/// </summary>
/// <param name="Tokens">The tokens summarised.</param>
/// <param name="MeanLogProbability">The mean log-probability of the chosen tokens.</param>
/// <param name="MeanEntropy">The mean over tokens of <c>-Σ_j p_j log p_j</c> over the reported alternatives (the chosen token alone when none).</param>
/// <param name="Mean">The mean token confidence.</param>
/// <param name="LowestGroup">The lowest group confidence.</param>
/// <param name="Bottom10">The mean of the lowest 10% of group confidences (at least one group).</param>
/// <param name="Tail">The mean token confidence over the last <c>tail</c> tokens.</param>
public sealed record ConfidenceSummary(int Tokens, double MeanLogProbability, double MeanEntropy, double Mean, double LowestGroup, double Bottom10, double Tail)
{
    /// <summary>DeepConf's sliding window in the paper is 2,048 tokens; Compose's default suits short answers.</summary>
    public const int DefaultWindow = 64;

    /// <summary>The default tail length in tokens.</summary>
    public const int DefaultTail = 64;

    /// <summary>The summary's value for <paramref name="measure"/>: higher is more confident.</summary>
    public double Value(ConfidenceMeasure measure) => measure switch
    {
        ConfidenceMeasure.LowestGroup => LowestGroup,
        ConfidenceMeasure.Bottom10 => Bottom10,
        ConfidenceMeasure.Tail => Tail,
        ConfidenceMeasure.MeanLogProbability => MeanLogProbability,
        ConfidenceMeasure.Entropy => -MeanEntropy,
        _ => Mean,
    };

    /// <summary>The token confidence of one token (see the type's summary).</summary>
    public static double TokenConfidence(TokenLogProbability token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.Top.IsDefaultOrEmpty ? -token.LogProbability : -token.Top.Average(a => a.LogProbability);
    }

    /// <summary>The entropy term of one token over its reported alternatives.</summary>
    public static double TokenEntropy(TokenLogProbability token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.Top.IsDefaultOrEmpty
            ? -Math.Exp(token.LogProbability) * token.LogProbability
            : token.Top.Sum(a => -Math.Exp(a.LogProbability) * a.LogProbability);
    }

    /// <summary>The summary of <paramref name="tokens"/>, or null when there are none.</summary>
    public static ConfidenceSummary? Of(IReadOnlyList<TokenLogProbability> tokens, int window = DefaultWindow, int tail = DefaultTail)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
        {
            return null;
        }

        window = Math.Max(1, window);
        tail = Math.Max(1, tail);
        var n = tokens.Count;
        var confidence = new double[n];
        double logprob = 0, entropy = 0;
        for (var i = 0; i < n; i++)
        {
            confidence[i] = TokenConfidence(tokens[i]);
            logprob += tokens[i].LogProbability;
            entropy += TokenEntropy(tokens[i]);
        }

        var groups = Groups(confidence, window);
        var sorted = groups.Order().ToArray();
        var bottom = Math.Max(1, (int)Math.Ceiling(sorted.Length * 0.1));
        var tailFrom = Math.Max(0, n - tail);
        return new ConfidenceSummary(
            n,
            logprob / n,
            entropy / n,
            confidence.Average(),
            sorted[0],
            sorted.Take(bottom).Average(),
            confidence.Skip(tailFrom).Average());
    }

    /// <summary>The group confidences of sliding windows of <paramref name="window"/> tokens (one group of all when fewer).</summary>
    public static ImmutableArray<double> Groups(IReadOnlyList<double> confidence, int window)
    {
        ArgumentNullException.ThrowIfNull(confidence);
        if (confidence.Count == 0)
        {
            return [];
        }

        window = Math.Max(1, window);
        if (confidence.Count <= window)
        {
            return [confidence.Average()];
        }

        var groups = ImmutableArray.CreateBuilder<double>(confidence.Count - window + 1);
        var sum = 0.0;
        for (var i = 0; i < confidence.Count; i++)
        {
            sum += confidence[i];
            if (i >= window)
            {
                sum -= confidence[i - window];
            }

            if (i >= window - 1)
            {
                groups.Add(sum / window);
            }
        }

        return groups.MoveToImmutable();
    }
}

/// <summary>
/// The running group confidence of a reply being generated (DeepConf online): tokens are added as they stream in;
/// once <c>window</c> tokens have arrived, <see cref="Current"/> is the mean token confidence of the last window.
/// Belongs to one call (not shared between calls).
/// </summary>
public sealed class RunningGroupConfidence(int window)
{
    private readonly Queue<double> _last = new();
    private readonly int _window = Math.Max(1, window);
    private double _sum;

    /// <summary>The tokens seen.</summary>
    public int Tokens { get; private set; }

    /// <summary>The group confidence of the last full window; null until <c>window</c> tokens have arrived.</summary>
    public double? Current => _last.Count == _window ? _sum / _window : null;

    /// <summary>Adds one token and returns <see cref="Current"/>.</summary>
    public double? Add(TokenLogProbability token)
    {
        var c = ConfidenceSummary.TokenConfidence(token);
        _last.Enqueue(c);
        _sum += c;
        if (_last.Count > _window)
        {
            _sum -= _last.Dequeue();
        }

        Tokens++;
        return Current;
    }
}
