using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;
using Compose.Prompts;
using Compose.Runtime;
using Scriban.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>
/// A reward model: scores a whole answer (outcome reward) or each step prefix of a partial answer (process reward) in
/// [0, 1], from a model's judgement or a program check (<see cref="RewardSpec"/>). Any technique may use one: read the
/// option with <c>TechniqueReader.Reward</c>, declare <see cref="Templates"/>, name <see cref="Model"/> among its models,
/// add <see cref="Needs"/> and <see cref="Calls"/> to its needs and bounds, and score with <see cref="ScoreStepsAsync"/>
/// or <see cref="ScoreAnswerAsync"/>.
/// <list type="bullet">
/// <item>A model with <c>judge: yes_no</c> (or <c>auto</c> when its provider reports log-probabilities) answers the
/// <c>process_reward</c> / <c>outcome_reward</c> template with one token at temperature 0; the score is P("yes"):
/// exp(log-probability) of a reply starting with "y", 1 - exp(log-probability) of one starting with "n".</item>
/// <item>A model with <c>judge: score</c> (or <c>auto</c> otherwise) replies with a 0-10 number (at most
/// <see cref="ScoreTokens"/> tokens, temperature 0); the score is that number / 10.</item>
/// <item>A reply that gives neither scores <see cref="Unreadable"/> (0.5: no evidence either way).</item>
/// <item>A check scores 1 when the text (the answer, or the steps so far) passes, else 0.</item>
/// </list>
/// </summary>
public sealed partial class Reward
{
    /// <summary>The tokens a yes/no judgement may take.</summary>
    public const int YesNoTokens = 1;

    /// <summary>The tokens a 0-10 judgement may take.</summary>
    public const int ScoreTokens = 4;

    /// <summary>The score of a judgement that can't be read.</summary>
    public const double Unreadable = 0.5;

    /// <summary>Tokens the process template adds per step shown ("Step 12: " and the line break), for bounds.</summary>
    public const int TokensPerStepLabel = 6;

    private readonly AnswerCheck? _check;

    public Reward(RewardSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        _check = spec.Check is { } check ? new AnswerCheck(check) : null;
    }

    public RewardSpec Spec { get; }

    /// <summary>The templates a technique with a reward declares: <c>process_reward</c> and <c>outcome_reward</c>.</summary>
    public static ImmutableArray<TechniqueTemplate> Templates { get; } =
        [TechniqueTemplate.BuiltIn("process_reward"), TechniqueTemplate.BuiltIn("outcome_reward")];

    /// <summary>The templates a technique that scores whole answers renders: <c>outcome_reward</c> when a model judges.</summary>
    public static IEnumerable<string> OutcomeTemplatesUsed(RewardSpec? reward) => reward is { ByModel: true } ? ["outcome_reward"] : [];

    /// <summary>The templates a technique that scores step prefixes renders: <c>process_reward</c> when a model judges.</summary>
    public static IEnumerable<string> ProcessTemplatesUsed(RewardSpec? reward) => reward is { ByModel: true } ? ["process_reward"] : [];

    /// <summary>The option that declares a reward, for a technique's <c>Options</c>.</summary>
    public static TechniqueOption Option(string description) => new("reward", description);

    /// <summary>The model that judges, when a model does (else null: a check scores).</summary>
    public ModelRef? Model => Spec.Model;

    /// <summary>What the judging model must offer: log-probabilities for <c>judge: yes_no</c>.</summary>
    public ModelCapabilities Needs => Spec.ByModel && Spec.Judge == RewardJudge.YesNo ? ModelCapabilities.LogProbabilities : ModelCapabilities.None;

    /// <summary>The most tokens one judgement replies with.</summary>
    public int ReplyTokens => Spec.Judge == RewardJudge.YesNo ? YesNoTokens : ScoreTokens;

    /// <summary>
    /// The bound of <paramref name="calls"/> judgements by <paramref name="model"/> (the resolved name), each showing the
    /// question (<paramref name="questionTokens"/>, template included) and at most <paramref name="shownTokens"/> of answer
    /// over <paramref name="steps"/> step labels; none when a check scores.
    /// </summary>
    public ImmutableArray<ModelCalls> Calls(string? model, long calls, long questionTokens, long shownTokens, long steps) =>
        Spec.ByModel
            ? [ModelCalls.Of(model, calls, Add(Add(questionTokens, shownTokens), Mul(steps, TokensPerStepLabel)), ReplyTokens)]
            : [];

    /// <summary>The models a technique that scores its input candidates with <paramref name="reward"/> (an outcome reward, or none) names.</summary>
    public static IEnumerable<ModelRef?> ModelsOf(RewardSpec? reward) => reward is { ByModel: true } ? [reward.Model] : [];

    /// <summary>
    /// What a technique that picks among several candidates by <paramref name="reward"/> (or by something else when null)
    /// needs: several candidates, and what the reward's model must offer.
    /// </summary>
    public static TechniqueNeeds SelectionNeeds(RewardSpec? reward) => new()
    {
        SeveralCandidates = true,
        FromModels = reward is null ? ModelCapabilities.None : new Reward(reward).Needs,
    };

    /// <summary>
    /// The bounds of a technique that judges each input candidate once with <paramref name="reward"/> (none when null or a
    /// check) and passes on at most <paramref name="keep"/> of them.
    /// </summary>
    public static TechniqueBounds SelectionBounds(RewardSpec? reward, int keep, BoundsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new(reward is null ? [] : new Reward(reward).Calls(input.Model, input.Input.Count, input.QuestionTokens, input.Input.CandidateTokens, 0),
            input.Input with { Count = Math.Min(keep, input.Input.Count) });
    }

    /// <summary>Combines step scores by <paramref name="aggregate"/>; 0 steps score 0.</summary>
    public static double Aggregate(RewardAggregate aggregate, IReadOnlyList<double> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0)
        {
            return 0;
        }

        return aggregate switch
        {
            RewardAggregate.Min => steps.Min(),
            RewardAggregate.Product => steps.Aggregate(1.0, (p, s) => p * s),
            RewardAggregate.Mean => steps.Average(),
            _ => steps[^1],
        };
    }

    /// <summary>Combines step scores by this reward's aggregate.</summary>
    public double Aggregate(IReadOnlyList<double> steps) => Aggregate(Spec.Aggregate, steps);

    /// <summary>
    /// The process reward of the partial answer <paramref name="steps"/> (its last step judged in the light of the ones
    /// before): <paramref name="model"/> is the judging model's resolved name; <paramref name="sample"/> the call's sample index.
    /// </summary>
    public Task<double> ScoreStepsAsync(TechniqueContext context, string? model, IReadOnlyList<string> steps, int sample, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(steps);
        if (_check is not null)
        {
            return Task.FromResult(_check.Passes(string.Concat(steps)) ? 1.0 : 0.0);
        }

        var data = context.NewPromptModel();
        data["steps"] = PromptModels.Strings(steps.Select(s => s.Trim()));
        return JudgeAsync(context, model!, "process_reward", data, sample, cancellationToken);
    }

    /// <summary>The outcome reward of the whole <paramref name="answer"/>.</summary>
    public Task<double> ScoreAnswerAsync(TechniqueContext context, string? model, string answer, int sample, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(answer);
        if (_check is not null)
        {
            return Task.FromResult(_check.Passes(answer) ? 1.0 : 0.0);
        }

        var data = context.NewPromptModel();
        data["answer"] = answer;
        return JudgeAsync(context, model!, "outcome_reward", data, sample, cancellationToken);
    }

    /// <summary>How a model that offers <paramref name="offered"/> judges under <paramref name="judge"/>: auto is yes/no when it reports log-probabilities.</summary>
    public static RewardJudge Resolve(RewardJudge judge, ModelCapabilities offered) =>
        judge != RewardJudge.Auto ? judge
        : offered.HasFlag(ModelCapabilities.LogProbabilities) ? RewardJudge.YesNo : RewardJudge.Score;

    private async Task<double> JudgeAsync(TechniqueContext context, string model, string template, ScriptObject data, int sample, CancellationToken cancellationToken)
    {
        var judge = Resolve(Spec.Judge, context.CapabilitiesOf(model));
        data["judge"] = judge == RewardJudge.YesNo ? "yes_no" : "score";
        var shape = new CallShape { Temperature = 0, MaxTokens = judge == RewardJudge.YesNo ? YesNoTokens : ScoreTokens };
        var reply = await context.CallAsync(model, "reward", sample, context.Render(template, data), shape, cancellationToken).ConfigureAwait(false);
        return judge == RewardJudge.YesNo ? YesProbability(reply.Text, reply.LogProbability) : ParseScore(reply.Text);
    }

    /// <summary>
    /// P("yes") from a one-token yes/no reply and its log-probability; without one, yes = 1 and no = 0; otherwise
    /// <see cref="Unreadable"/>.
    /// </summary>
    public static double YesProbability(string reply, double? logProbability)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var word = reply.TrimStart();
        var yes = word.StartsWith('y') || word.StartsWith('Y');
        var no = word.StartsWith('n') || word.StartsWith('N');
        if (!yes && !no)
        {
            return Unreadable;
        }

        var p = logProbability is { } lp && !double.IsNaN(lp) ? Math.Clamp(Math.Exp(lp), 0, 1) : 1.0;
        return yes ? p : 1 - p;
    }

    /// <summary>The first number in <paramref name="reply"/> read as a 0-10 score and divided by 10 (clamped); else <see cref="Unreadable"/>.</summary>
    public static double ParseScore(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var match = Number().Match(reply);
        return match.Success && double.TryParse(match.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var score)
            ? Math.Clamp(score / 10, 0, 1)
            : Unreadable;
    }

    [GeneratedRegex(@"\d+(?:\.\d+)?", RegexOptions.None, 1000)]
    private static partial Regex Number();
}
