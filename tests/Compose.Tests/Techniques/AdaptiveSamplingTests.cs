using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;
using Compose.Models.Providers;
using Compose.Runtime;
using Compose.Techniques;
using Microsoft.Extensions.AI;
using static Compose.Tests.Techniques.TechniqueHarness;

namespace Compose.Tests.Techniques;

/// <summary>
/// Adaptive and confidence-aware sampling pinned on scripted models: each sample's reply is chosen by its index
/// (through the documented seed derivation), so the stopping points, Beta probabilities, thresholds and billing of
/// cancelled calls are computed by hand.
/// </summary>
public sealed class AdaptiveSamplingTests
{
    private const string Q = "What is 2+3?";
    private static readonly double Ln09 = Math.Log(0.9);
    private static readonly double Ln099 = Math.Log(0.99);
    private static readonly double Ln05 = Math.Log(0.5);

    [Theory]
    [InlineData(1, 0, 0.75)] // 1 - I_0.5(2, 1) = 1 - 1/4
    [InlineData(3, 0, 0.9375)] // 1 - 1/16
    [InlineData(4, 0, 0.96875)] // 1 - 1/32
    [InlineData(2, 1, 0.6875)] // I_0.5(3, 2) = P(Bin(4, 1/2) >= 3) = 5/16
    [InlineData(5, 1, 0.9375)] // I_0.5(6, 2) = P(Bin(7, 1/2) >= 6) = 8/128
    [InlineData(6, 1, 0.96484375)] // I_0.5(7, 2) = 9/256
    [InlineData(2, 2, 0.5)]
    public void Beta_rule_probability_equals_the_binomial_tail(int top, int second, double expected) =>
        Assert.Equal(expected, AdaptiveSampling.BetaProbability(top, second), 12);

    [Fact]
    public void Confidence_summary_of_hand_made_tokens()
    {
        // Without alternatives, a token's confidence is -log p: 1, 2, 3, 4, 5.
        var tokens = Enumerable.Range(1, 5).Select(c => new TokenLogProbability($"t{c}", -c)).ToList();
        var summary = ConfidenceSummary.Of(tokens, window: 2, tail: 3)!;
        Assert.Equal(5, summary.Tokens);
        Assert.Equal(-3, summary.MeanLogProbability, 12);
        Assert.Equal(3, summary.Mean, 12);
        Assert.Equal(1.5, summary.LowestGroup, 12); // groups 1.5, 2.5, 3.5, 4.5
        Assert.Equal(1.5, summary.Bottom10, 12); // the lowest tenth of 4 groups is one group
        Assert.Equal(4, summary.Tail, 12); // mean of 3, 4, 5

        // With k alternatives, C = -(1/k) sum log p_j: ln 0.9 and ln 0.1 give (0.10536 + 2.30259) / 2.
        var alt = new TokenLogProbability("a", Ln09, TokenLogProbabilities.Simulated("a", Ln09, 2));
        Assert.Equal(-(Ln09 + Math.Log(0.1)) / 2, ConfidenceSummary.TokenConfidence(alt), 9);
        Assert.Equal(1.2039728043259361, ConfidenceSummary.TokenConfidence(alt), 9);
    }

    [Fact]
    public async Task Beta_rule_stops_at_the_seventh_sample_and_cancels_the_rest_of_the_wave()
    {
        // Answers by sample: 5 5 6 5 | 5 5 5 (long) ... P after each: .75 .875 .6875 .8125 | .890625 .9375 .96484375 -> stop at 7.
        var long7 = string.Join(' ', Enumerable.Repeat("thinking", 200)) + " 5";
        var model = new BySample("n1", Q, ["5", "5", "6", "5", "5", "5", "5", long7, "5", "5", "5", "5", "5", "5", "5", "5"]) { TokenLatency = TimeSpan.FromMilliseconds(2) };
        var trace = new ListTrace();
        var spec = new AdaptiveVoteSpec(null, 16, 4, StoppingRule.Beta, 0.95, null, At);
        var (result, budget) = await RunMetered(spec, model, trace);

        var stop = trace.Stop();
        Assert.Equal("beta", stop["reason"]);
        Assert.Equal("7", stop["samples"]);
        Assert.Equal("8", stop["launched"]);
        Assert.Equal(0.96484375, double.Parse(stop["probability"], System.Globalization.CultureInfo.InvariantCulture), 12);
        Assert.Equal(["n1.s0", "n1.s1", "n1.s3", "n1.s4", "n1.s5", "n1.s6"], result.Select(c => c.Id));
        Assert.All(result, c => Assert.Equal(6.0 / 7, c.Score!.Value, 12));

        // Sample 7 was cancelled part way: billed for the words it produced, far fewer than its 201.
        var cancelled = trace.Calls().Single(c => c.Sample == 7);
        Assert.Equal(ModelReply.StoppedByCaller, cancelled.Stopped);
        Assert.Equal(Produced(cancelled.Response), cancelled.OutputTokens);
        Assert.True(cancelled.OutputTokens < SimulatedChatClient.Tokens(long7.Length));
        Assert.Equal(8, budget.Spent.Calls);
        Assert.Equal(trace.Calls().Sum(c => c.OutputTokens), budget.Spent.OutputTokens);
    }

    [Fact]
    public async Task Early_stopping_self_consistency_stops_after_the_first_wave_that_agrees()
    {
        // Waves of 3: (5 6 5) disagrees, (5 5 5) agrees -> 6 samples, 5 wins 5/6.
        var model = new BySample("n1", Q, ["5", "6", "5", "5", "5", "5", "7", "7", "7", "7", "7", "7"]);
        var trace = new ListTrace();
        var (result, budget) = await RunMetered(new AdaptiveVoteSpec(null, 12, 3, StoppingRule.Agreement, 0.95, null, At), model, trace);
        Assert.Equal("agreement", trace.Stop()["reason"]);
        Assert.Equal("6", trace.Stop()["samples"]);
        Assert.Equal(6, budget.Spent.Calls);
        Assert.Equal(5, result.Length);
        Assert.Equal(5.0 / 6, result[0].Score!.Value, 12);
    }

    [Fact]
    public async Task A_settled_majority_stops_and_cancels_calls_that_can_no_longer_change_it()
    {
        // Five samples in one wave; after 5 5 5 the leader (3) beats the runner-up (0) plus the 2 left: settled.
        var slow = string.Join(' ', Enumerable.Repeat("hmm", 300)) + " 6";
        var model = new BySample("n1", Q, ["5", "5", "5", slow, slow]) { TokenLatency = TimeSpan.FromMilliseconds(2) };
        var trace = new ListTrace();
        var (result, budget) = await RunMetered(new AdaptiveVoteSpec(null, 5, 5, StoppingRule.Agreement, 0.95, null, At), model, trace);
        Assert.Equal("settled", trace.Stop()["reason"]);
        Assert.Equal("3", trace.Stop()["samples"]);
        Assert.Equal(3, result.Length);
        var stopped = trace.Calls().Where(c => c.Stopped is not null).ToList();
        Assert.Equal([3, 4], stopped.Select(c => c.Sample).Order());
        Assert.All(stopped, c => Assert.Equal(Produced(c.Response), c.OutputTokens));
        Assert.Equal(5, budget.Spent.Calls);
    }

    [Fact]
    public async Task First_finish_keeps_the_first_answer_to_finish_and_cancels_the_others()
    {
        var longer = string.Join(' ', Enumerable.Repeat("step", 150)) + " 9";
        var model = new BySample("n1", Q, [longer, "So 5", longer, longer]) { TokenLatency = TimeSpan.FromMilliseconds(3) };
        var trace = new ListTrace();
        var (result, budget) = await RunMetered(new FirstFinishSpec(null, 4, 1, At), model, trace);
        Assert.Equal("n1.s1", Assert.Single(result).Id);
        Assert.Equal("first_finished", trace.Stop()["reason"]);
        var cancelled = trace.Calls().Where(c => c.Stopped is not null).ToList();
        Assert.Equal([0, 2, 3], cancelled.Select(c => c.Sample).Order());
        Assert.All(cancelled, c => Assert.True(c.OutputTokens < SimulatedChatClient.Tokens(longer.Length)));
        Assert.Equal(4, budget.Spent.Calls);
        Assert.Equal(trace.Calls().Sum(c => c.OutputTokens), budget.Spent.OutputTokens);
    }

    [Fact]
    public async Task DeepConf_online_sets_the_threshold_from_warm_up_stops_a_low_confidence_sample_and_stops_at_consensus()
    {
        // top_logprobs 2: a token of probability p has confidence C(p) = -(ln p + ln(1 - p)) / 2.
        // Warm-up: s0 "5" at p .9 (C = 1.20397), s1 "6" at p .99 (C = 2.30761); keep 1 -> threshold = the minimum, 1.20397.
        // Wave 1: s2 "the answer is 5" at p .9 then .5: after two tokens the group (window 2) is (1.20397 + 0.69315) / 2 < threshold:
        // stopped. s3 "6" at .99 votes: weights 5: 1.20397, 6: 4.61522, share .7931 < .8.
        // Wave 2: s4 "6" votes: share 6.92283 / 8.12680 = .8519 >= .8: consensus; s5 (long) is cancelled.
        var c9 = C(0.9);
        var c99 = C(0.99);
        var slow = string.Join(' ', Enumerable.Repeat("6", 200));
        var model = new BySample("n1", Q, ["5", "6", "the answer is 5", "6", "6", slow],
            [[Ln09], [Ln099], [Ln09, Ln05], [Ln099], [Ln099], [Ln099]])
        { TokenLatency = TimeSpan.FromMilliseconds(2) };
        var trace = new ListTrace();
        var spec = new DeepConfSpec(null, DeepConfMode.Online, 6, 2, 2, 1.0, ConfidenceMeasure.LowestGroup, 2, 2, 0.8, null, At);
        var (result, budget) = await RunMetered(spec, model, trace);

        var stop = trace.Stop();
        Assert.Equal("consensus", stop["reason"]);
        Assert.Equal(c9, double.Parse(stop["threshold"], System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.Equal(3 * c99 / ((3 * c99) + c9), double.Parse(stop["probability"], System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.Equal(0.8519, double.Parse(stop["probability"], System.Globalization.CultureInfo.InvariantCulture), 4);
        var monitored = trace.Calls().Single(c => c.Sample == 2);
        Assert.Equal(ModelReply.StoppedByMonitor, monitored.Stopped);
        Assert.Equal("the answer", monitored.Response);
        Assert.Equal(ModelReply.StoppedByCaller, trace.Calls().Single(c => c.Sample == 5).Stopped);
        Assert.Equal(["n1.s1", "n1.s3", "n1.s4"], result.Select(c => c.Id));
        Assert.Equal(6, budget.Spent.Calls);
        Assert.Equal(trace.Calls().Sum(c => c.OutputTokens), budget.Spent.OutputTokens);
    }

    [Fact]
    public async Task DeepConf_offline_keeps_the_confident_share_and_weighs_the_vote()
    {
        // Four samples: two unsure "7" (p .5, C = .69315) and two sure "5" and "6"... keep .5 keeps the two most confident:
        // s2 "5" (p .99) and s3 "6" (p .9); 5 wins by weight 2.30761 against 1.20397.
        var model = new BySample("n1", Q, ["7", "7", "5", "6"], [[Ln05], [Ln05], [Ln099], [Ln09]]);
        var trace = new ListTrace();
        var spec = new DeepConfSpec(null, DeepConfMode.Offline, 4, 4, 4, 0.5, ConfidenceMeasure.LowestGroup, 64, 2, 0.95, null, At);
        var (result, _) = await RunMetered(spec, model, trace);
        var winner = Assert.Single(result);
        Assert.Equal("n1.s2", winner.Id);
        Assert.Equal(C(0.99) / (C(0.99) + C(0.9)), winner.Score!.Value, 9);
    }

    [Fact]
    public async Task Best_of_majority_keeps_frequent_answers_then_picks_by_log_probability_or_reward()
    {
        Candidate Make(string id, string text, double mean) => Cand(id, text) with
        {
            Confidence = new ConfidenceSummary(1, mean, 0, 0, 0, 0, 0),
        };

        // Votes: 5 x3 (.5), 6 x2 (.33), 7 x1 (.17); min_share .3 keeps 5 and 6; the most likely token stream is c3 (6).
        ImmutableArray<Candidate> input =
        [
            Make("c0", "5", -0.5), Make("c1", "5", -0.4), Make("c2", "5", -0.6),
            Make("c3", "6", -0.1), Make("c4", "6", -0.9), Make("c5", "7", -0.01),
        ];
        var byLogProb = await Run(new BestOfMajoritySpec(null, 0.3, 1, null, At), input, One(new BySample("n1", Q, ["x"])));
        Assert.Equal("c3", Assert.Single(byLogProb).Id);

        // A check reward (the answer is 5) chooses among the same pool: the first 5 (c0) wins the tie.
        var reward = new RewardSpec(null, new CheckSpec(CheckKind.Number, null, "5", At), RewardJudge.Auto, RewardAggregate.Last, At);
        var byReward = await Run(new BestOfMajoritySpec(reward, 0.3, 2, null, At), input, One(new BySample("n1", Q, ["x"])));
        Assert.Equal(["c0", "c1"], byReward.Select(c => c.Id));
    }

    [Fact]
    public async Task A_stream_stopped_part_way_is_billed_for_what_it_produced()
    {
        var text = "one two three four five six seven eight";
        var model = new BySample("n1", Q, [text]);
        var budget = new QuestionBudget(new BudgetSpec());
        using var scope = QuestionScope.Enter(new QuestionScope(budget));
        using var client = new UsageBudgetChatClient(model, "m");
        var seen = "";
        var updates = 0;
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, Q)], new ChatOptions { Seed = model.SeedOf(0) }))
        {
            seen += update.Text;
            if (++updates == 3)
            {
                break;
            }
        }

        Assert.Equal("one two three", seen);
        Assert.Equal(1, budget.Spent.Calls);
        Assert.Equal(SimulatedChatClient.Tokens(seen.Length), budget.Spent.OutputTokens);
        Assert.Equal(SimulatedChatClient.Tokens(Q.Length), budget.Spent.InputTokens);
    }

    /// <summary>The tokens a simulated model produced for <paramref name="text"/>: none for nothing, else characters / 4.</summary>
    private static long Produced(string? text) => string.IsNullOrEmpty(text) ? 0 : SimulatedChatClient.Tokens(text.Length);

    private static double C(double p) => -(Math.Log(p) + Math.Log(1 - p)) / 2;

    private static async Task<(ImmutableArray<Candidate> Result, QuestionBudget Budget)> RunMetered(TechniqueSpec spec, BySample model, ListTrace trace)
    {
        var budget = new QuestionBudget(new BudgetSpec());
        using var scope = QuestionScope.Enter(new QuestionScope(budget));
        using var metered = new UsageBudgetChatClient(model, "m");
        var result = await Run(spec, [], One(metered), question: Q, trace: trace);
        return (result, budget);
    }

    /// <summary>A simulated model whose reply (and word log-probabilities) are chosen by the call's sample index.</summary>
    private sealed class BySample(string node, string question, string[] replies, double[][]? logprobs = null)
        : SimulatedChatClient(TimeSpan.Zero, "scripted", "m")
    {
        private readonly Dictionary<long, int> _index = Enumerable.Range(0, replies.Length)
            .ToDictionary(i => SeedDerivation.Derive(0, question, node, i), i => i);

        public long SeedOf(int sample) => SeedDerivation.Derive(0, question, node, sample);

        protected override string Reply(string prompt, long seed) => replies[_index[seed]];

        protected override ImmutableArray<double> WordLogProbabilities(string prompt, string? partial, long seed) =>
            logprobs is null ? [] : [.. logprobs[_index[seed]]];
    }

    private sealed class ListTrace : ITraceSink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<TraceEvent> _events = new();

        public void Write(TraceEvent traceEvent) => _events.Enqueue(traceEvent);

        public List<ModelCalled> Calls() => [.. _events.OfType<ModelCalled>()];

        public ImmutableDictionary<string, string> Stop() => _events.OfType<TechniqueEvent>().Single(e => e.Name == "sampling_stopped").Data;
    }
}
