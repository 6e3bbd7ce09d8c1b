using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Judges one candidate correct or not: by a program check when one is given, else by a model's
/// "Verdict: yes/no" reply to the node's <c>verify</c> template (an unreadable verdict fails).
/// Shared by <see cref="Verify"/> and <see cref="Refine"/> (<c>until: verified</c>).
/// </summary>
internal sealed class CandidateJudge(CheckSpec? check)
{
    private readonly AnswerCheck? _check = check is null ? null : new AnswerCheck(check);

    /// <summary>The model's verdict is decoded constrained to exactly <c>yes</c> or <c>no</c>.</summary>
    public bool Constrained { get; init; }

    /// <summary>The two verdicts a constrained judge may write.</summary>
    internal static Compose.Models.OutputConstraint YesNo { get; } = Compose.Models.OutputConstraint.OneOf("yes", "no");

    /// <summary>
    /// True when <paramref name="candidate"/> passes. <paramref name="position"/> is the 1-based position the
    /// template shows; <paramref name="sample"/> is the call's sample index (its seed derives from it).
    /// </summary>
    public async Task<bool> PassesAsync(
        TechniqueContext context, string model, Candidate candidate, int position, int sample, CancellationToken cancellationToken) =>
        await PassesAsync(context, model, candidate, position, sample, reasoning: false, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// As above; with <paramref name="reasoning"/> the model first writes its reasoning about the candidate (the
    /// <c>verify_reasoning</c> template) and the verdict call shows it (<c>reasoning</c> in the <c>verify</c> template).
    /// </summary>
    public async Task<bool> PassesAsync(
        TechniqueContext context, string model, Candidate candidate, int position, int sample, bool reasoning, CancellationToken cancellationToken)
    {
        if (_check is not null)
        {
            return _check.Passes(candidate.Text);
        }

        var data = context.NewPromptModel();
        data["candidate"] = CandidatePrompts.Candidate(candidate, position, withCritiques: false);
        if (reasoning)
        {
            var why = await context.CallAsync(model, "verify_reasoning", sample, context.Render("verify_reasoning", data), cancellationToken).ConfigureAwait(false);
            data["reasoning"] = why.Text;
        }

        var reply = Constrained
            ? await context.CallAsync(model, "verify", sample, context.Render("verify", data), new CallShape { Constraint = YesNo }, cancellationToken).ConfigureAwait(false)
            : await context.CallAsync(model, "verify", sample, context.Render("verify", data), cancellationToken).ConfigureAwait(false);
        return ModelVerdict.Parse(reply.Text) ?? false;
    }
}
