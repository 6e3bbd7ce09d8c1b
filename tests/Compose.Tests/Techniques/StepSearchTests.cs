using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Compose.Models;
using Compose.Runtime;
using Compose.Techniques;
using Compose.Tests.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Techniques;

/// <summary>
/// Step-level search pinned on scripted models: every step's text is chosen by the test for each (step, slot) through
/// the documented seed derivation, every reward by the judge's table, so weights, resampling and the final pick can be
/// computed by hand from the traced draws.
/// </summary>
public sealed partial class StepSearchTests
{
    private const string Question = "What is (17 + 25) * 3?";

    [Fact]
    public async Task Particle_filter_weights_resampling_and_pick_equal_a_hand_computed_trace()
    {
        // Three particles, two steps. Step 1: slot 0 writes A (judged 9/10), slot 1 B (1/10), slot 2 C (5/10).
        // logit(0.9) = ln 9, logit(0.1) = -ln 9, logit(0.5) = 0, so softmax = (9, 1/9, 1) / (91/9) = (81, 1, 9) / 91.
        var writer = new Writer("pf", particles: 3, maxSteps: 2, (step, slot, partial) => step == 1
            ? new[] { "A\n\n", "B\n\n", "C\n\n" }[slot]
            : "D", seed: 7);
        var judge = new Judge(new() { ["A"] = 9, ["B"] = 1, ["C"] = 5, ["AD"] = 8, ["BD"] = 2, ["CD"] = 6 });
        var (result, steps) = await Run(
            "particle_filter: { id: pf, model: writer, reward: { model: judge, judge: score }, particles: 3, max_steps: 2 }", writer, judge, seed: 7);

        Assert.Equal(2, steps.Count);
        var first = steps[0];
        Assert.Equal(["A\n\n", "B\n\n", "C\n\n"], first.Paths.Select(p => p.Text));
        Assert.Equal([0.9, 0.1, 0.5], first.Paths.Select(p => p.Reward));
        Assert.Equal(81.0 / 91, first.Paths[0].Weight!.Value, 12);
        Assert.Equal(1.0 / 91, first.Paths[1].Weight!.Value, 12);
        Assert.Equal(9.0 / 91, first.Paths[2].Weight!.Value, 12);

        // Multinomial: each slot's uniform draw u picks 0 when u < 81/91, 1 when u < 82/91, else 2.
        var selection = first.Selection!;
        Assert.Equal("multinomial", selection.Method);
        Assert.Equal(3, selection.Draws.Length);
        var byHand = selection.Draws.Select(u => u < 81.0 / 91 ? 0 : u < 82.0 / 91 ? 1 : 2).ToArray();
        Assert.Equal(byHand, selection.Chosen.ToArray());

        // The draws come from the seeded source: pinned, so a change to the draws is a visible change.
        Assert.Equal(PinnedDraws, selection.Draws.Select(d => Math.Round(d, 6)));

        // Step 2: each slot continues a copy of the particle it drew; its reward is the judge's score of the whole prefix.
        var second = steps[1];
        Assert.Null(second.Selection);
        var parents = byHand.Select(i => first.Paths[i]).ToArray();
        Assert.Equal(parents.Select(p => p.Id), second.Paths.Select(p => p.Parent));
        var letters = byHand.Select(i => "ABC"[i]).ToArray();
        Assert.Equal(letters.Select(l => judge.Table[$"{l}D"] / 10.0), second.Paths.Select(p => p.Reward));
        Assert.All(second.Paths, p => Assert.True(p.Finished));

        // The pick: the highest final reward, the first on a tie.
        var rewards = second.Paths.Select(p => p.Reward).ToArray();
        var pick = Array.IndexOf(rewards, rewards.Max());
        Assert.Equal($"{letters[pick]}\n\nD", result.Answer);
        Assert.Equal(rewards.Max(), result.AnswerCandidate!.Score);
        Assert.Equal(3 * 2 * 2, result.Usage.Calls); // particles x steps x (a step + a judgement)
    }

    private static readonly double[] PinnedDraws = [0.0293, 0.373216, 0.506515];

    [Fact]
    public async Task Entropic_filtering_tempers_the_resampling_by_the_effective_sample_size()
    {
        // Same first step, four steps: p = (81, 1, 9) / 91, ESS = 1 / sum p^2 = 8281 / 6643; ESS / N < 1/2 at t / T = 1/4,
        // so T = max(1, (N / ESS)(1 - 1/4)) = 3 * 6643 / 8281 * 0.75.
        var writer = new Writer("pf", particles: 3, maxSteps: 4, (step, slot, partial) => step == 1 ? new[] { "A\n\n", "B\n\n", "C\n\n" }[slot] : "D", seed: 7);
        var judge = new Judge(new() { ["A"] = 9, ["B"] = 1, ["C"] = 5, ["AD"] = 8, ["BD"] = 2, ["CD"] = 6 });
        var (_, steps) = await Run(
            "particle_filter: { id: pf, model: writer, reward: { model: judge, judge: score }, particles: 3, max_steps: 4, entropic: true }", writer, judge, seed: 7);

        var selection = steps[0].Selection!;
        var ess = 8281.0 / 6643;
        Assert.Equal(ess, selection.EffectiveSampleSize!.Value, 12);
        var temperature = 3 / ess * 0.75;
        Assert.Equal(temperature, selection.Temperature, 12);
        Assert.Equal("systematic", selection.Method);

        // Systematic: points (u + j) / 3 for one uniform u, each picked on the tempered weights' cumulative sum.
        Assert.Equal(selection.Draws[0] + (1.0 / 3), selection.Draws[1], 12);
        var tempered = Resampling.Softmax([Math.Log(9), -Math.Log(9), 0], temperature);
        Assert.Equal(Resampling.Pick(tempered, selection.Draws).ToArray(), selection.Chosen.ToArray());
        Assert.True(tempered[0] < 81.0 / 91, "tempering flattens the weights");
    }

    [Fact]
    public async Task Finished_particles_keep_their_slots_with_finished_keep()
    {
        // Slot 1 finishes at step 1 (the model ends its turn); with finished: keep it is never resampled, and never copied.
        var writer = new Writer("pf", particles: 3, maxSteps: 3, (step, slot, partial) => step == 1 ? new[] { "A\n\n", "B", "C\n\n" }[slot] : step == 2 ? "D\n\n" : "E", seed: 3);
        var judge = new Judge(new() { ["A"] = 5, ["B"] = 9, ["C"] = 5, ["AD"] = 5, ["CD"] = 5, ["ADE"] = 5, ["CDE"] = 5 });
        var (result, steps) = await Run(
            "particle_filter: { id: pf, model: writer, reward: { model: judge, judge: score }, particles: 3, max_steps: 3, finished: keep }", writer, judge, seed: 3);

        Assert.True(steps[0].Paths[1].Finished);
        Assert.All(steps.Where(s => s.Selection is not null), s => Assert.Equal(1, s.Selection!.Chosen[1]));
        Assert.All(steps.Where(s => s.Selection is not null), s => Assert.Equal(2, s.Selection!.Draws.Length));
        Assert.Equal("", steps[1].Paths[1].Text); // a kept particle writes nothing more
        Assert.Equal("B", result.Answer);
    }

    [Fact]
    public async Task Beam_search_keeps_the_top_prefixes_at_each_step()
    {
        // width 2, expansions 2: step 1 expands the empty answer 4 times; the best two continue, each expanded twice.
        var writer = new Writer("bs", particles: 4, maxSteps: 2, (step, slot, partial) => step == 1
            ? new[] { "P\n\n", "Q\n\n", "R\n\n", "S\n\n" }[slot]
            : partial + (slot % 2 == 0 ? "x" : "y"), seed: 1);
        var judge = new Judge(new()
        {
            ["P"] = 3,
            ["Q"] = 9,
            ["R"] = 6,
            ["S"] = 1,
            ["QQx"] = 4,
            ["QQy"] = 8,
            ["RRx"] = 7,
            ["RRy"] = 2, // a step continues its beam's last step: Q then Qx

        });
        var (result, steps) = await Run(
            "beam_search: { id: bs, model: writer, reward: { model: judge, judge: score }, width: 2, expansions: 2, max_steps: 2 }", writer, judge, seed: 1,
            output: "best_score");

        Assert.Equal([1, 2], steps[0].Selection!.Chosen.ToArray()); // Q (0.9) and R (0.6)
        var second = steps[1];
        Assert.Equal(["bs.s1.b0.e1", "bs.s1.b0.e1", "bs.s1.b0.e2", "bs.s1.b0.e2"], second.Paths.Select(p => p.Parent!)); // step 1 expands the empty answer: one beam, four expansions
        Assert.Equal([0.4, 0.8, 0.7, 0.2], second.Paths.Select(p => p.Reward));
        Assert.Equal([1, 2], second.Selection!.Chosen.ToArray()); // QQy (0.8) then RRx (0.7)
        Assert.Equal(["Q\n\nQy", "R\n\nRx"], result.Survivors.Select(c => c.Text));
        Assert.Equal([0.8, 0.7], result.Survivors.Select(c => c.Score!.Value));
        Assert.Equal("Q\n\nQy", result.Answer);
    }

    [Fact]
    public async Task Particle_gibbs_keeps_the_reference_in_slot_zero_replaying_its_steps()
    {
        var writer = new Writer("pg", particles: 3, maxSteps: 2, (step, slot, partial) => step == 1 ? new[] { "A\n\n", "B\n\n", "C\n\n" }[slot] : "D", iterations: 2, seed: 5);
        var judge = new Judge(new() { ["A"] = 9, ["B"] = 1, ["C"] = 5, ["AD"] = 8, ["BD"] = 2, ["CD"] = 6 });
        var (result, steps) = await Run(
            "particle_gibbs: { id: pg, model: writer, reward: { model: judge, judge: score }, particles: 3, max_steps: 2, iterations: 2 }", writer, judge, seed: 5);

        var firstPass = steps.Where(s => s.Iteration == 0).ToList();
        var secondPass = steps.Where(s => s.Iteration == 1).ToList();
        Assert.Equal(2, firstPass.Count);
        Assert.Equal(2, secondPass.Count);

        // The reference is one of the first pass's final particles; in the second pass slot 0 replays it step by step:
        // its first step and reward, then its second.
        var replay = (First: secondPass[0].Paths[0], Second: secondPass[1].Paths[0]);
        Assert.Contains(firstPass[1].Paths, final =>
            final.Text == replay.Second.Text && final.Reward == replay.Second.Reward
            && firstPass[0].Paths.Single(p => p.Id == final.Parent) is var parent
            && parent.Text == replay.First.Text && parent.Reward == replay.First.Reward);
        Assert.All(secondPass.Where(s => s.Selection is not null), s => Assert.Equal(0, s.Selection!.Chosen[0]));
        Assert.Equal(2, secondPass[0].Selection!.Draws.Length); // slot 0 is never drawn

        // Calls: N x T x 2 in the first pass, (N - 1) x T x 2 in the second (the reference is not written again).
        Assert.Equal((3 * 2 * 2) + (2 * 2 * 2), result.Usage.Calls);
        Assert.NotNull(result.Answer);
    }

    [Fact]
    public async Task A_budget_stops_a_search_cleanly_with_the_best_so_far_flagged()
    {
        var writer = new Writer("pf", particles: 3, maxSteps: 4, (step, slot, partial) => $"step {step}\n\n", seed: 2);
        var judge = new Judge(new(), fallback: 7);
        var (result, steps) = await Run(
            "particle_filter: { id: pf, model: writer, reward: { model: judge, judge: score }, particles: 3, max_steps: 4 }", writer, judge, seed: 2,
            budget: new Compose.Language.BudgetSpec { MaxCalls = 8 });

        Assert.True(result.BudgetExhausted);
        Assert.Null(result.Error);
        Assert.NotNull(result.Answer);
        Assert.True(result.Usage.Calls <= 8, $"{result.Usage.Calls} calls");
        var warning = Assert.Single(result.WarningEvents);
        Assert.Equal(RuntimeDiagnosticCodes.SearchStoppedByBudget, warning.Code);
        Assert.Contains("pf: the budget stopped the particle filter at step 2 of 4", warning.Message, StringComparison.Ordinal);
        Assert.Single(steps); // step 1 completed; step 2 was cut short and not traced as a step
    }

    [Theory]
    [InlineData("particle_filter: { model: writer, reward: judge, particles: 4, max_steps: 3 }")]
    [InlineData("particle_filter: { model: writer, reward: { model: judge, aggregate: min }, particles: 3, max_steps: 4, entropic: true, finished: keep }")]
    [InlineData("particle_gibbs: { model: writer, reward: { model: judge, aggregate: mean }, particles: 3, max_steps: 3, iterations: 3 }")]
    [InlineData("beam_search: { model: writer, reward: { model: judge, aggregate: product }, width: 2, expansions: 3, max_steps: 3 }")]
    [InlineData("particle_filter: { model: writer, reward: { check: { regex: 'Answer' } }, particles: 5, max_steps: 3, step_tokens: 3 }")]
    public async Task A_search_never_exceeds_the_bound_the_graph_prints(string layer)
    {
        // Long random steps: a step uses up to its max_tokens, the prefix grows every step.
        var writer = new Writer(null, 0, 0, (step, slot, partial) => new string('w', 10 + ((step * 37) + (slot * 11)) % 60) + (step == 3 ? "" : "\n\n"));
        var judge = new Judge(new(), fallback: 6);
        using var pipeline = Build(layer, writer, judge, "defaults: { max_tokens: 16 }\n", offers: ModelCapabilities.Continuation);
        for (var seed = 0; seed < 5; seed++)
        {
            var result = await pipeline.RunAsync(Question, new RunOptions { Seed = seed });
            Assert.Null(result.Error);
            var bound = pipeline.Graph.Bound;
            Assert.True(result.Usage.Calls <= bound.Calls, $"{result.Usage.Calls} calls > {bound.Calls}");
            Assert.True(result.Usage.InputTokens <= bound.InputTokens, $"{result.Usage.InputTokens} input tokens > {bound.InputTokens}");
            Assert.True(result.Usage.OutputTokens <= bound.OutputTokens, $"{result.Usage.OutputTokens} output tokens > {bound.OutputTokens}");
        }
    }

    [Fact]
    public async Task Best_of_n_keeps_the_candidates_with_the_highest_outcome_reward()
    {
        var writer = new Writer(null, 0, 0, (step, slot, partial) => "unused");
        var answers = new Scripted("answers", (prompt, seed) => $"answer {seed % 4}");
        var judge = new Judge(new(), fallback: 5, score: text => Regex.Match(text, @"answer (\d)") is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 3 : 0);
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: t\nmodels: { gen: { provider: instance }, judge: { provider: instance } }\nlayers:\n  - generate: { model: gen, samples: 6 }\n  - best_of_n: { reward: judge, keep: 2 }\n",
            new Dictionary<string, IChatClient> { ["gen"] = answers, ["judge"] = judge });
        var result = await pipeline.RunAsync(Question, new RunOptions { Seed = 4 });

        var generated = result.AllCandidates.Where(c => c.Producer == "L1.generate").Select(c => int.Parse(c.Text[^1..], CultureInfo.InvariantCulture)).ToList();
        var best = generated.Select((a, i) => (a, i)).OrderByDescending(x => x.a).ThenBy(x => x.i).Take(2).Select(x => $"answer {x.a}");
        Assert.Equal(best, result.Survivors.Select(c => c.Text));
        Assert.Equal(result.Survivors.Select(c => Math.Min(1, int.Parse(c.Text[^1..], CultureInfo.InvariantCulture) * 0.3)), result.Survivors.Select(c => c.Score!.Value), new ToleranceComparer());
    }

    [Fact]
    public async Task A_yes_no_judge_scores_the_probability_of_yes_from_log_probabilities()
    {
        var judge = new LogProbJudge();
        var writer = new Writer("pf", particles: 2, maxSteps: 1, (step, slot, partial) => new[] { "good", "bad" }[slot], seed: 1);
        var (_, steps) = await Run("particle_filter: { id: pf, model: writer, reward: { model: judge, judge: auto }, particles: 2, max_steps: 1 }",
            writer, judge, seed: 1, offers: ModelCapabilities.Continuation | ModelCapabilities.LogProbabilities);

        // "yes" at log-probability ln 0.8 gives 0.8; "no" at ln 0.7 gives 1 - 0.7.
        Assert.Equal(0.8, steps[0].Paths[0].Reward, 12);
        Assert.Equal(0.3, steps[0].Paths[1].Reward, 12);
        Assert.All(judge.Prompts, p => Assert.Contains("Judge its last step only: is it correct? Answer with one word: yes or no.\n\nStep 1: ", p, StringComparison.Ordinal));
        Assert.All(judge.MaxTokens, m => Assert.Equal(Reward.YesNoTokens, m));
    }

    [Fact]
    public async Task Without_log_probabilities_an_auto_judge_asks_for_a_score()
    {
        var judge = new Judge(new() { ["good"] = 8 });
        var writer = new Writer("pf", particles: 1, maxSteps: 1, (step, slot, partial) => "good", seed: 1);
        var (_, steps) = await Run("particle_filter: { id: pf, model: writer, reward: judge, particles: 1, max_steps: 1 }", writer, judge, seed: 1);
        Assert.Equal(0.8, steps[0].Paths[0].Reward, 12);
        Assert.Contains("whole number from 0", judge.Prompts.Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RewardAggregateCase.Last, 0.5)]
    [InlineData(RewardAggregateCase.Min, 0.2)]
    [InlineData(RewardAggregateCase.Product, 0.9 * 0.2 * 0.5)]
    [InlineData(RewardAggregateCase.Mean, (0.9 + 0.2 + 0.5) / 3)]
    public void Step_rewards_aggregate_by_last_min_product_and_mean(RewardAggregateCase aggregate, double expected) =>
        Assert.Equal(expected, Reward.Aggregate((Compose.Language.RewardAggregate)aggregate, [0.9, 0.2, 0.5]), 12);

    public enum RewardAggregateCase
    {
        Last,
        Min,
        Product,
        Mean,
    }

    [Theory]
    [InlineData("7", 0.7)]
    [InlineData("Score: 10/10", 1.0)]
    [InlineData("15", 1.0)]
    [InlineData("3.5", 0.35)]
    [InlineData("no idea", Reward.Unreadable)]
    public void A_score_is_the_first_number_over_ten(string reply, double expected) =>
        Assert.Equal(expected, Reward.ParseScore(reply), 12);

    // ---- harness ----

    private static RunnablePipeline Build(string layer, IChatClient writer, IChatClient judge, string extra = "", ModelCapabilities offers = ModelCapabilities.Continuation) =>
        PipelineHarness.Build(
            $"compose: 1\nname: t\nmodels: {{ writer: {{ provider: instance }}, judge: {{ provider: instance }} }}\n{extra}layers:\n  - {layer}\n",
            new Dictionary<string, IChatClient> { ["writer"] = writer, ["judge"] = judge },
            offers: offers);

    private static async Task<(RunResult Result, List<SearchStep> Steps)> Run(
        string layer, IChatClient writer, IChatClient judge, long seed, Compose.Language.BudgetSpec? budget = null, string output = "first",
        ModelCapabilities offers = ModelCapabilities.Continuation)
    {
        using var pipeline = Build(layer, writer, judge, $"output: {output}\n", offers);
        var trace = new ListTrace();
        var result = await pipeline.RunAsync(Question, new RunOptions { Seed = seed, Trace = trace, Budget = budget });
        return (result, trace.Events.OfType<SearchStep>().OrderBy(s => s.Iteration).ThenBy(s => s.Step).ToList());
    }

    private sealed class ListTrace : ITraceSink
    {
        public ConcurrentQueue<TraceEvent> Events { get; } = new();

        public void Write(TraceEvent traceEvent) => Events.Enqueue(traceEvent);
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;

        public int GetHashCode(double obj) => 0;
    }

    /// <summary>
    /// A step model whose step text the test chooses per (step, slot): it recovers them from the call's seed, derived as
    /// the search documents (purpose <c>step</c>, sample ((iteration × T) + step - 1) × N + slot). Steps ending in a blank
    /// line stop there (stopped by the delimiter); others end the model's turn.
    /// </summary>
    private sealed class Writer : IChatClient
    {
        private readonly Func<int, int, string, string> _step;
        private readonly Dictionary<long, (int Step, int Slot)> _seeds = [];

        public Writer(string? node, int particles, int maxSteps, Func<int, int, string, string> step, int iterations = 1, long seed = 0)
        {
            _step = step;
            if (node is null)
            {
                return;
            }

            for (var i = 0; i < iterations; i++)
            {
                for (var t = 1; t <= maxSteps; t++)
                {
                    for (var slot = 0; slot < particles; slot++)
                    {
                        _seeds[SeedDerivation.Derive(seed, Question, $"{node}/step", (((i * maxSteps) + t - 1) * particles) + slot)] = (t, slot);
                    }
                }
            }
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            var partial = ChatContinuation.PartialAnswer(list, options) ?? "";
            var steps = partial.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            var (step, slot) = _seeds.TryGetValue(options!.Seed!.Value, out var at) ? at : (steps.Length + 1, (int)(options.Seed!.Value % 7));
            var text = _step(step, slot, steps.Length > 0 ? steps[^1] : "");
            var (cut, by) = Compose.Models.Providers.SimulatedChatClient.Stop(text, options.StopSequences);
            var reply = Compose.Models.Providers.SimulatedChatClient.Limit(cut, options.MaxOutputTokens, out var truncated);
            var inputChars = list.Sum(m => m.Text.Length);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply))
            {
                FinishReason = truncated ? ChatFinishReason.Length : ChatFinishReason.Stop,
                Usage = Compose.Models.Providers.SimulatedChatClient.Usage(inputChars, reply.Length),
                AdditionalProperties = truncated ? null : new() { [ChatContinuation.StoppedByKey] = by },
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>A judge that scores a prefix (its steps joined, blank lines removed) from a table, 0-10.</summary>
    private sealed partial class Judge(Dictionary<string, int> table, int fallback = 5, Func<string, int>? score = null) : IChatClient
    {
        public Dictionary<string, int> Table { get; } = table;

        public ConcurrentBag<string> Prompts { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var prompt = messages.Last().Text;
            Prompts.Add(prompt);
            int value;
            if (score is not null)
            {
                value = score(prompt);
            }
            else
            {
                var steps = StepLine().Matches(prompt).Select(m => m.Groups[1].Value.Trim());
                value = Table.TryGetValue(string.Concat(steps), out var v) ? v : fallback;
            }

            var text = value.ToString(CultureInfo.InvariantCulture);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
            {
                Usage = Compose.Models.Providers.SimulatedChatClient.Usage(prompt.Length, text.Length),
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        [GeneratedRegex(@"(?m)^Step \d+: (.*)$")]
        private static partial Regex StepLine();
    }

    /// <summary>A yes/no judge reporting log-probabilities: "yes" at ln 0.8 for a good step, "no" at ln 0.7 otherwise.</summary>
    private sealed class LogProbJudge : IChatClient
    {
        public ConcurrentBag<string> Prompts { get; } = [];

        public ConcurrentBag<int> MaxTokens { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var prompt = messages.Last().Text;
            Prompts.Add(prompt);
            MaxTokens.Add(options?.MaxOutputTokens ?? -1);
            var good = prompt.Contains("Step 1: good", StringComparison.Ordinal);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, good ? "yes" : "no"))
            {
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 1 },
                AdditionalProperties = new() { [ComposeKeys.LogProbSum] = Math.Log(good ? 0.8 : 0.7) },
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>A plain model answering by the call's seed.</summary>
    private sealed class Scripted(string id, Func<string, long, string> reply) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var text = reply(messages.Last().Text, options?.Seed ?? 0);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { ModelId = id, Usage = new UsageDetails { InputTokenCount = 5, OutputTokenCount = 2 } });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
