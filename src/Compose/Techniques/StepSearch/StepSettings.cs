using System.Collections.Immutable;
using System.Text;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>
/// How a step-level search writes an answer step by step, shared by <c>beam_search</c>, <c>particle_filter</c> and
/// <c>particle_gibbs</c>. A step is the text up to <see cref="Delimiter"/> (default a blank line), or
/// <see cref="StepTokens"/> tokens when given; the answer ends when the model ends its turn, writes an empty step, a
/// step matches <see cref="StopPattern"/>, or <see cref="MaxSteps"/> steps are written.
/// </summary>
public sealed record StepSettings(ModelRef? Model, RewardSpec? Reward, int MaxSteps, string Delimiter, int? StepTokens, string? StopPattern)
{
    /// <summary>The default step delimiter: a blank line.</summary>
    public const string BlankLine = "\n\n";

    /// <summary>The step template every search declares.</summary>
    public static TechniqueTemplate Template { get; } = TechniqueTemplate.BuiltIn("step", DirectPrompts.Step);

    /// <summary>The options every search takes, before its own.</summary>
    public static ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that writes the steps; it must continue partial answers (onnx, scripted, or openai with continue_final_message)."),
        Techniques.Reward.Option("The process reward that scores each step prefix: a model (P(\"yes\") or a 0-10 score) or a check, with aggregate last | min | product | mean."),
        new("max_steps", "The most steps an answer may have, 1..100 (default 8)."),
        new("delimiter", "The text that ends a step (default a blank line, \"\\n\\n\")."),
        new("step_tokens", "A step is this many tokens instead of ending at the delimiter, 1..100000."),
        new("stop_pattern", "A regular expression that marks a step as the answer's last (for example 'Answer:')."),
    ];

    /// <summary>The templates every search declares: the step prompt and the reward's.</summary>
    public static ImmutableArray<TechniqueTemplate> Templates { get; } = [Template, .. Techniques.Reward.Templates];

    /// <summary>Reads the shared options; a missing reward is reported (every search needs one).</summary>
    public static StepSettings Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var reward = reader.Reward();
        if (!reader.Has("reward"))
        {
            reader.Error(DiagnosticCodes.MissingOption, reader.Location, $"{reader.Key} needs a 'reward' to score the steps",
                "add 'reward: MODEL' (a model judges each step) or 'reward: { check: { regex: \"...\" } }'");
        }

        var delimiter = reader.Text("delimiter");
        if (delimiter is { Length: 0 })
        {
            reader.Error(DiagnosticCodes.OutOfRange, reader.ValueLocation("delimiter"), "the step delimiter is empty", "write a text that ends a step, for example \"\\n\\n\", or use 'step_tokens'");
        }

        if (reader.Has("delimiter") && reader.Has("step_tokens"))
        {
            reader.Error(DiagnosticCodes.ConflictingOptions, reader.KeyLocation("step_tokens"), "a step ends at a 'delimiter' or after 'step_tokens', not both", "keep one of them");
        }

        return new StepSettings(
            reader.Model("model"),
            reward,
            reader.Int("max_steps", 1, 100) ?? 8,
            string.IsNullOrEmpty(delimiter) ? BlankLine : delimiter,
            reader.Int("step_tokens", 1, 100_000),
            reader.Pattern("stop_pattern", needsGroup: false));
    }

    /// <summary>The models a search names: the step model, then the reward's model when a model judges.</summary>
    /// <summary>The templates a step search renders: <c>step</c>, and <c>process_reward</c> when a model judges.</summary>
    public IEnumerable<string> TemplatesUsed() => [Template.Name, .. Techniques.Reward.ProcessTemplatesUsed(Reward)];

    public IEnumerable<ModelRef?> Models() => Reward is { ByModel: true } reward ? [Model, reward.Model] : [Model];

    /// <summary>What a search needs: several candidates never; continuation from the step model, and the reward's need from its model.</summary>
    public TechniqueNeeds Needs() => new()
    {
        ByModel = Reward is { } reward ? [Compose.Models.ModelCapabilities.Continuation, new Reward(reward).Needs] : [Compose.Models.ModelCapabilities.Continuation],
    };

    /// <summary>The most tokens one step may have: <see cref="StepTokens"/>, else the node's <c>max_tokens</c>.</summary>
    public long StepTokensBound(long maxTokens) => StepTokens ?? maxTokens;

    /// <summary>A bound on the tokens of a partial answer of <paramref name="steps"/> steps (each step with its delimiter).</summary>
    public long PartialTokensBound(long steps, long maxTokens) =>
        Mul(steps, Add(StepTokensBound(maxTokens), Encoding.UTF8.GetByteCount(Delimiter) + 1));

    /// <summary>
    /// Bounds of a search that writes at most <paramref name="stepCalls"/> steps and judges each once: every step call shows
    /// the question and a partial answer of at most <c>max_steps - 1</c> steps; every judgement the question and up to
    /// <c>max_steps</c> steps.
    /// </summary>
    public ImmutableArray<ModelCalls> Bounds(BoundsInput input, long stepCalls)
    {
        ArgumentNullException.ThrowIfNull(input);
        var step = ModelCalls.Of(input.Model, stepCalls, Add(input.QuestionTokens, PartialTokensBound(MaxSteps - 1, input.MaxTokens)), StepTokensBound(input.MaxTokens));
        if (Reward is not { } reward)
        {
            return [step];
        }

        var judge = input.Models.Length > 1 ? input.Models[1] : null;
        return [step, .. new Reward(reward).Calls(judge, stepCalls, input.QuestionTokens, PartialTokensBound(MaxSteps, input.MaxTokens), MaxSteps)];
    }
}
