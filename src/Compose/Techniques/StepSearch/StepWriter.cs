using System.Collections.Immutable;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>One step written by a step-level search: its text (delimiter included when one ended it) and whether the answer is complete.</summary>
public sealed record WrittenStep(string Text, bool Finished, Usage Usage);

/// <summary>
/// Writes the next step of a partial answer through the model stack, continuing the answer so far
/// (<see cref="Compose.Models.ChatContinuation"/>): the first step is an ordinary call, every later one continues the
/// steps before it. A delimiter step stops at the delimiter (which is put back on the step); the answer is complete when
/// the model ends its turn or stops on one of the pipeline's own stop sequences, writes an empty step, or the step
/// matches the stop pattern. A provider that does not say why it stopped is taken to have stopped at the delimiter.
/// </summary>
public sealed class StepWriter
{
    private readonly StepSettings _settings;
    private readonly UserRegex? _stop;

    public StepWriter(StepSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _stop = settings.StopPattern is { } pattern ? new UserRegex(pattern, "stop_pattern") : null;
    }

    /// <summary>
    /// Writes the step after <paramref name="steps"/> with <paramref name="model"/>, for the prompt <paramref name="prompt"/>;
    /// <paramref name="sample"/> is the call's sample index (its seed derives from it).
    /// </summary>
    public async Task<WrittenStep> WriteAsync(
        TechniqueContext context, string model, string prompt, ImmutableArray<string> steps, int sample, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var byTokens = _settings.StepTokens is not null;
        var stops = new List<string>();
        if (!byTokens)
        {
            stops.Add(_settings.Delimiter);
        }

        if (!context.Defaults.Stop.IsDefaultOrEmpty)
        {
            stops.AddRange(context.Defaults.Stop);
        }

        var shape = new CallShape
        {
            Continuing = steps.IsEmpty ? null : string.Concat(steps),
            Stop = stops,
            MaxTokens = _settings.StepTokens ?? context.MaxTokens,
        };
        var reply = await context.CallAsync(model, "step", sample, prompt, shape, cancellationToken).ConfigureAwait(false);
        var (text, finished) = byTokens ? ByTokens(reply) : ByDelimiter(reply);
        if (!finished && (text.Trim().Length == 0 || (_stop?.IsMatch(text) ?? false)))
        {
            finished = true;
        }

        return new WrittenStep(text, finished, reply.Usage);
    }

    private (string Text, bool Finished) ByDelimiter(ModelReply reply)
    {
        var delimiter = _settings.Delimiter;
        if (reply.StoppedBy == delimiter)
        {
            return (reply.Text + delimiter, false);
        }

        if (reply.StoppedBy is not null)
        {
            return (reply.Text, true); // the model ended its turn, or a stop sequence of the pipeline's own
        }

        // The provider did not say why it stopped: a delimiter it left in marks the step's end; otherwise it stopped at
        // the delimiter (servers leave it out) or the token limit cut the step.
        var at = reply.Text.IndexOf(delimiter, StringComparison.Ordinal);
        return at >= 0 ? (reply.Text[..(at + delimiter.Length)], false) : (reply.Truncated ? reply.Text : reply.Text + delimiter, false);
    }

    private static (string Text, bool Finished) ByTokens(ModelReply reply) =>
        (reply.Text, !reply.Truncated);
}
