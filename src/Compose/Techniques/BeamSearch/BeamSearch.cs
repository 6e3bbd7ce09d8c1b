using System.Collections.Immutable;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Beam search over reasoning steps with a process reward (Snell et al. 2024, "Scaling LLM Test-Time Compute Optimally").
/// <list type="number">
/// <item>Step 1: the empty answer is expanded width × expansions times; later steps expand each live beam
/// <c>expansions</c> times (seed per (step, beam, expansion)).</item>
/// <item>The process reward scores every expansion's prefix; a beam's reward is its step rewards aggregated.</item>
/// <item>The expansions are ranked by reward (earlier first on a tie) and the best <c>width</c> are kept: complete ones go
/// to the finished pool, the rest continue.</item>
/// <item>The search ends when no beam is live or after <c>max_steps</c> steps (live beams then count as complete).</item>
/// </list>
/// Passes on the best <c>width</c> complete beams, best first, each scored with its reward. Every step is traced
/// (<see cref="SearchStep"/>, selection <c>top</c>). When the budget refuses a call the search stops and passes on the
/// best beams it has (warning CMP708).
/// </summary>
public sealed class BeamSearch(BeamSearchSpec spec) : ITechnique
{
    private readonly StepWriter _writer = new(spec.Steps);
    private readonly Reward _reward = new(spec.Steps.Reward ?? throw new ArgumentException("A beam search needs a reward.", nameof(spec)));

    public BeamSearchSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var model = context.Model;
        var judge = context.Node.ResolvedModels.Length > 1 ? context.Node.ResolvedModels[1] : null;
        var prompt = context.Render("step", context.NewPromptModel());
        var (width, k, maxSteps) = (Spec.Width, Spec.Expansions, Spec.Steps.MaxSteps);
        var live = ImmutableArray.Create(StepPath.Empty);
        var finished = new List<StepPath>();
        for (var t = 1; t <= maxSteps && !live.IsEmpty; t++)
        {
            var step = t;
            var beams = live;
            var perBeam = t == 1 ? width * k : k;
            var children = await StepSearch.UntilBudget(beams.Length * perBeam, async c =>
            {
                var (b, e) = (c / perBeam, c % perBeam);
                var parent = beams[b];
                var sample = ((step - 1) * width * k) + c;
                var written = await _writer.WriteAsync(context, model, prompt, parent.Steps, sample, cancellationToken).ConfigureAwait(false);
                var steps = parent.Steps.Add(written.Text);
                var score = await _reward.ScoreStepsAsync(context, judge, steps, sample, cancellationToken).ConfigureAwait(false);
                var rewards = parent.StepRewards.Add(score);
                return new StepPath($"{context.NodeId}.s{step}.b{b}.e{e}", parent.Id.Length == 0 ? null : parent.Id, steps, rewards,
                    _reward.Aggregate(rewards), written.Finished || step == maxSteps, parent.Usage + written.Usage);
            }).ConfigureAwait(false);

            var done = children.OfType<StepPath>().ToImmutableArray();
            var stopped = done.Length < children.Length;

            // The best `width` expansions, by reward, earlier first on a tie.
            var ranked = Enumerable.Range(0, done.Length).OrderByDescending(i => done[i].Reward).ThenBy(i => i).ToArray();
            var kept = ranked.Take(width).ToArray();
            context.Report(new SearchStep(context.NodeId, 0, step, [.. done.Select(x => StepSearch.Traced(x, x.LastStep, null))],
                new SearchSelection("top", [], [.. kept], 1, null))
            { QuestionId = context.Question.Id });

            finished.AddRange(kept.Select(i => done[i]).Where(x => x.Finished));
            live = [.. kept.Select(i => done[i]).Where(x => !x.Finished)];
            if (stopped)
            {
                StepSearch.ReportBudgetStop(context, "beam search", step, maxSteps, null);
                finished.AddRange(!live.IsEmpty ? live : beams.Where(x => x.Id.Length > 0));
                break;
            }
        }

        if (finished.Count == 0)
        {
            throw new BudgetExceededException($"{context.NodeId}: the budget was exhausted before any beam wrote a step");
        }

        return [.. finished
            .Select((x, i) => (x, i))
            .OrderByDescending(p => p.x.Reward)
            .ThenBy(p => p.i)
            .Take(width)
            .Select((p, rank) => p.x.ToCandidate(context, model, rank))];
    }
}
