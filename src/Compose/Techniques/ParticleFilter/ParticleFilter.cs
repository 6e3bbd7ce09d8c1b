using System.Collections.Immutable;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Particle filtering over reasoning steps, and particle Gibbs when <see cref="FilterSettings.Iterations"/> &gt; 1.
/// <list type="number">
/// <item>Every particle writes its first step (seed per (iteration, step, particle)); the process reward scores the
/// prefix; the particle's reward is its step rewards aggregated.</item>
/// <item>Weights are logit(reward) (clipped), probabilities softmax(weight / temperature). With <c>entropic</c>, while the
/// effective sample size is under half the particles in the first half of the steps, the temperature is raised
/// (<see cref="Resampling.EntropicTemperature"/>).</item>
/// <item>The particles are resampled (multinomial or systematic draws from a seeded source); each slot continues a copy of
/// the particle it drew. Complete particles compete with their last reward and their copies stay complete
/// (<c>finished: resample</c>), or keep their slots out of resampling (<c>finished: keep</c>).</item>
/// <item>Every particle still being written writes its next step, and so on until all are complete or
/// <c>max_steps</c> steps are written.</item>
/// <item>The answer is the particle with the highest reward (<c>pick: argmax</c>) or one drawn from the final weights.</item>
/// </list>
/// Particle Gibbs repeats the filter: each later iteration keeps a reference particle (drawn from the previous
/// iteration's final weights) in slot 0, which replays its own steps and rewards and competes in every resampling; a
/// slot that draws it continues from the reference's prefix at that step. Every step is traced
/// (<see cref="SearchStep"/>). When the budget refuses a call the search stops there and answers with the best particle
/// it has (warning CMP708).
/// </summary>
public sealed class ParticleFilter(StepSettings steps, FilterSettings filter) : ITechnique
{
    private readonly StepWriter _writer = new(steps);
    private readonly Reward _reward = new(steps.Reward ?? throw new ArgumentException("A particle filter needs a reward.", nameof(steps)));

    public StepSettings Steps { get; } = steps;

    public FilterSettings Filter { get; } = filter;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var run = new Run(this, context, cancellationToken);
        StepPath? reference = null;
        ImmutableArray<StepPath> final = [];
        for (var iteration = 0; iteration < Filter.Iterations; iteration++)
        {
            var (population, stopped) = await run.FilterAsync(iteration, reference).ConfigureAwait(false);
            if (population.IsEmpty)
            {
                break;
            }

            final = population;
            if (stopped)
            {
                break;
            }

            if (iteration + 1 < Filter.Iterations)
            {
                // The next iteration's reference: drawn from this iteration's final (untempered) weights.
                var p = Resampling.Softmax([.. population.Select(x => Resampling.Logit(x.Reward))], Filter.Temperature);
                var draw = StepSearch.RandomFor(context, "reference", iteration).NextDouble();
                reference = population[Resampling.Pick(p, [draw])[0]];
            }
        }

        if (final.IsEmpty)
        {
            throw new BudgetExceededException($"{context.NodeId}: the budget was exhausted before any particle wrote a step");
        }

        var pick = Pick(context, final);
        return [final[pick].ToCandidate(context, context.Model, pick)];
    }

    private int Pick(TechniqueContext context, ImmutableArray<StepPath> population)
    {
        if (Filter.Pick == FinalPick.Sample)
        {
            var p = Resampling.Softmax([.. population.Select(x => Resampling.Logit(x.Reward))], Filter.Temperature);
            return Resampling.Pick(p, [StepSearch.RandomFor(context, "pick", 0).NextDouble()])[0];
        }

        var best = 0;
        for (var i = 1; i < population.Length; i++)
        {
            if (population[i].Reward > population[best].Reward)
            {
                best = i;
            }
        }

        return best;
    }

    private sealed class Run(ParticleFilter owner, TechniqueContext context, CancellationToken cancellationToken)
    {
        private readonly string _model = context.Model;
        private readonly string? _judge = context.Node.ResolvedModels.Length > 1 ? context.Node.ResolvedModels[1] : null;
        private readonly string _prompt = context.Render("step", context.NewPromptModel());

        private int N => owner.Filter.Particles;

        private int T => owner.Steps.MaxSteps;

        /// <summary>One filter pass; returns the final population and whether the budget stopped it.</summary>
        public async Task<(ImmutableArray<StepPath> Population, bool Stopped)> FilterAsync(int iteration, StepPath? reference)
        {
            var parents = Enumerable.Repeat(StepPath.Empty, N).ToArray();
            ImmutableArray<StepPath> population = [];
            for (var t = 1; t <= T; t++)
            {
                var step = t;
                var states = await StepSearch.UntilBudget(N, i => AdvanceAsync(iteration, step, i, parents[i], i == 0 ? reference : null)).ConfigureAwait(false);
                if (states.Any(s => s is null))
                {
                    // The budget refused a call: keep what this step completed, else what the previous step left.
                    var done = states.OfType<StepPath>().ToImmutableArray();
                    StepSearch.ReportBudgetStop(context, owner.Filter.Iterations > 1 ? "particle Gibbs sampler" : "particle filter", t, T,
                        owner.Filter.Iterations > 1 ? iteration + 1 : null);
                    return (done.IsEmpty ? population : done, true);
                }

                population = [.. states.Cast<StepPath>()];
                var weights = population.Select(x => Resampling.Logit(x.Reward)).ToArray();
                var p = Resampling.Softmax(weights, owner.Filter.Temperature);
                var last = t == T || population.All(x => x.Finished);
                SearchSelection? selection = null;
                if (!last)
                {
                    (parents, selection) = Resample(iteration, t, population, weights, p, reference is not null);
                }

                context.Report(new SearchStep(context.NodeId, iteration, t,
                    [.. population.Select((x, i) => StepSearch.Traced(x, x.Steps.Length == step ? x.LastStep : "", p[i]))], selection)
                { QuestionId = context.Question.Id });
                if (last)
                {
                    break;
                }
            }

            return (population, false);
        }

        /// <summary>Slot <paramref name="slot"/> at step <paramref name="step"/>: the reference replays its own step; a complete particle is copied; any other writes and is judged.</summary>
        private async Task<StepPath> AdvanceAsync(int iteration, int step, int slot, StepPath parent, StepPath? reference)
        {
            var id = $"{context.NodeId}.i{iteration}.s{step}.p{slot}";
            var parentId = parent.Id.Length == 0 ? null : parent.Id;
            if (reference is not null)
            {
                // The reference particle's state at this step: its first `step` steps, finished once they are all there.
                var k = Math.Min(step, reference.Steps.Length);
                var rewards = reference.StepRewards[..k];
                return new StepPath(id, parentId, reference.Steps[..k], rewards, owner._reward.Aggregate(rewards), k == reference.Steps.Length || step == T, Usage.Zero);
            }

            if (parent.Finished)
            {
                return parent with { Id = id, Parent = parentId };
            }

            var sample = (((iteration * T) + step - 1) * N) + slot;
            var written = await owner._writer.WriteAsync(context, _model, _prompt, parent.Steps, sample, cancellationToken).ConfigureAwait(false);
            var stepsSoFar = parent.Steps.Add(written.Text);
            var score = await owner._reward.ScoreStepsAsync(context, _judge, stepsSoFar, sample, cancellationToken).ConfigureAwait(false);
            var stepRewards = parent.StepRewards.Add(score);
            return new StepPath(id, parentId, stepsSoFar, stepRewards, owner._reward.Aggregate(stepRewards), written.Finished || step == T,
                parent.Usage + written.Usage);
        }

        /// <summary>Draws the parents of the next step's slots.</summary>
        private (StepPath[] Parents, SearchSelection Selection) Resample(
            int iteration, int step, ImmutableArray<StepPath> population, double[] weights, ImmutableArray<double> p, bool withReference)
        {
            var temperature = owner.Filter.Temperature;
            double? ess = null;
            if (owner.Filter.Entropic)
            {
                ess = Resampling.EffectiveSampleSize(p);
                temperature *= Resampling.EntropicTemperature(ess.Value, N, step, T);
            }

            var tempered = Resampling.Softmax(weights, temperature);

            // The slots drawn, and the particles they may draw: all of them, or (finished: keep) only the ones still being
            // written, among themselves. The reference's slot is never drawn.
            var keep = owner.Filter.Finished == FinishedParticles.Keep;
            var slots = Enumerable.Range(0, N).Where(i => !(withReference && i == 0) && !(keep && population[i].Finished)).ToArray();
            var eligible = Enumerable.Range(0, N).Where(i => !keep || !population[i].Finished).ToArray();
            var parents = population.ToArray();
            ImmutableArray<double> draws = [];
            ImmutableArray<int> chosen = [];
            if (slots.Length > 0 && eligible.Length > 0)
            {
                var sum = eligible.Sum(i => tempered[i]);
                var q = eligible.Select(i => sum > 0 ? tempered[i] / sum : 1.0 / eligible.Length).ToArray();
                draws = Resampling.Draws(owner.Filter.Resampling, slots.Length, StepSearch.RandomFor(context, "resample", (iteration * 1000) + step));
                chosen = [.. Resampling.Pick(q, draws).Select(k => eligible[k])];
                for (var j = 0; j < slots.Length; j++)
                {
                    parents[slots[j]] = population[chosen[j]];
                }
            }

            return (parents, new SearchSelection(owner.Filter.Resampling == ResamplingMethod.Systematic ? "systematic" : "multinomial",
                draws, [.. Enumerable.Range(0, N).Select(i => Array.IndexOf(slots, i) is var j && j >= 0 ? chosen[j] : i)], temperature, ess));
        }
    }
}
