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

    /// <summary>
    /// True when <paramref name="candidate"/> passes. <paramref name="position"/> is the 1-based position the
    /// template shows; <paramref name="sample"/> is the call's sample index (its seed derives from it).
    /// </summary>
    public async Task<bool> PassesAsync(
        TechniqueContext context, string model, Candidate candidate, int position, int sample, CancellationToken cancellationToken)
    {
        if (_check is not null)
        {
            return _check.Passes(candidate.Text);
        }

        var data = context.NewPromptModel();
        data["candidate"] = CandidatePrompts.Candidate(candidate, position, withCritiques: false);
        var reply = await context.CallAsync(model, "verify", sample, context.Render("verify", data), cancellationToken).ConfigureAwait(false);
        return ModelVerdict.Parse(reply.Text) ?? false;
    }
}
