using System.Collections.Immutable;
using Compose.Language;
using Compose.Runtime;
using Compose.Techniques;
using Microsoft.Extensions.AI;
using static Compose.Tests.Techniques.TechniqueHarness;

namespace Compose.Tests.Techniques;

public sealed class TechniqueSemanticsTests
{
    [Fact]
    public async Task Generate_makes_samples_per_model_in_model_then_sample_order_with_distinct_seeds()
    {
        var a = new TestModel((_, o) => $"a{o!.Seed}");
        var b = new TestModel((_, o) => $"b{o!.Seed}");
        var models = new Dictionary<string, IChatClient> { ["a"] = a, ["b"] = b };
        var output = await Run(new GenerateSpec([new("a", At), new("b", At)], 3, At), [], models);

        Assert.Equal(6, output.Length);
        Assert.Equal(["n1.m0.s0", "n1.m0.s1", "n1.m0.s2", "n1.m1.s0", "n1.m1.s1", "n1.m1.s2"], output.Select(c => c.Id));
        Assert.Equal(["a", "a", "a", "b", "b", "b"], output.Select(c => c.Model));
        Assert.Equal(6, output.Select(c => c.Text[1..]).Distinct().Count());
        Assert.All(output, c => Assert.Equal(1, c.Usage.Calls));

        var again = await Run(new GenerateSpec([new("a", At), new("b", At)], 3, At), [], models);
        Assert.Equal(output.Select(c => c.Text), again.Select(c => c.Text));
        var otherSeed = await Run(new GenerateSpec([new("a", At), new("b", At)], 3, At), [], models, seed: 7);
        Assert.NotEqual(output.Select(c => c.Text), otherSeed.Select(c => c.Text));
    }

    [Fact]
    public async Task Generate_in_a_later_layer_shows_previous_candidates_as_references()
    {
        var m = new TestModel((_, _) => "new");
        var output = await Run(new GenerateSpec([new("m", At)], 1, At), Cands("first answer", "second answer"), One(m));
        var prompt = Assert.Single(m.Calls).Prompt;
        Assert.Contains("[1] first answer", prompt, StringComparison.Ordinal);
        Assert.Contains("[2] second answer", prompt, StringComparison.Ordinal);
        Assert.Equal(["c0", "c1"], Assert.Single(output).Parents.ToArray());
    }

    [Fact]
    public async Task Critique_attaches_each_critique_to_its_own_candidate()
    {
        var m = new TestModel((p, _) => p.Contains("alpha", StringComparison.Ordinal) ? "critique of alpha" : "critique of beta");
        var output = await Run(new CritiqueSpec(new("m", At), At), Cands("alpha", "beta"), One(m));
        Assert.Equal(["alpha", "beta"], output.Select(c => c.Text));
        Assert.Equal("critique of alpha", Assert.Single(output[0].Critiques).Text);
        Assert.Equal("critique of beta", Assert.Single(output[1].Critiques).Text);
    }

    [Fact]
    public async Task Listwise_rank_keeps_the_best_k_in_ranked_order_and_completes_partial_rankings()
    {
        var m = new TestModel((_, _) => "[3] > [1]");
        var output = await Run(new RankSpec(new("m", At), 3, RankMethod.Listwise, null, At), Cands("x", "y", "z", "w"), One(m));
        Assert.Equal(["c2", "c0", "c1"], output.Select(c => c.Id));
        Assert.True(output[0].Score > output[1].Score);
    }

    [Fact]
    public async Task Listwise_rank_shows_critiques_when_candidates_carry_them()
    {
        var m = new TestModel((_, _) => "[2] > [1]");
        var input = ImmutableArray.Create(Cand("c0", "x", "weak on units"), Cand("c1", "y", "solid"));
        await Run(new RankSpec(new("m", At), 1, RankMethod.Listwise, null, At), input, One(m));
        Assert.Contains("weak on units", Assert.Single(m.Calls).Prompt, StringComparison.Ordinal);

        var m2 = new TestModel((_, _) => "[2] > [1]");
        await Run(new RankSpec(new("m", At), 1, RankMethod.Listwise, false, At), input, One(m2));
        Assert.DoesNotContain("weak on units", Assert.Single(m2.Calls).Prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pairwise_rank_orders_by_wins_with_one_call_per_pair()
    {
        // The judge prefers the longer text, whichever side it is on.
        var m = new TestModel((p, _) =>
        {
            var a = p.Split("Response A:\n")[1].Split('\n')[0];
            var b = p.Split("Response B:\n")[1].Split('\n')[0];
            return a.Length >= b.Length ? "A" : "B";
        });
        var output = await Run(new RankSpec(new("m", At), 2, RankMethod.Pairwise, null, At), Cands("bb", "dddd", "a", "ccc"), One(m));
        Assert.Equal(6, m.Calls.Count);
        Assert.Equal(["dddd", "ccc"], output.Select(c => c.Text));
        Assert.Equal([3.0, 2.0], output.Select(c => c.Score!.Value));
    }

    [Fact]
    public async Task Pointwise_rank_orders_by_score_and_keeps_input_order_on_ties()
    {
        var m = new TestModel((p, _) => p.Contains("good", StringComparison.Ordinal) ? "9" : p.Contains("fine", StringComparison.Ordinal) ? "Score: 6/10" : "6");
        var output = await Run(new RankSpec(new("m", At), 3, RankMethod.Pointwise, null, At), Cands("meh", "fine", "good", "bad"), One(m));
        Assert.Equal(["good", "meh", "fine"], output.Select(c => c.Text));
    }

    [Fact]
    public async Task Fuse_sees_every_candidate_and_its_critiques_and_replaces_them()
    {
        var replies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var m = new TestModel((_, o) =>
        {
            var reply = $"fused answer for seed {o!.Seed}";
            replies.Enqueue(reply);
            return reply;
        });
        var input = ImmutableArray.Create(Cand("c0", "one", "too short"), Cand("c1", "two", "wrong sign"));
        var output = await Run(new FuseSpec(new("m", At), 2, null, At), input, One(m));
        Assert.Equal(["n1.s0", "n1.s1"], output.Select(c => c.Id));
        Assert.All(output, c => Assert.Equal(["c0", "c1"], c.Parents.ToArray()));

        // Each fused candidate's text is one fuse call's reply (two calls, two different replies, none dropped or mixed).
        Assert.Equal(2, m.Calls.Count);
        Assert.Equal(2, replies.Distinct().Count());
        Assert.Equal(replies.Order(StringComparer.Ordinal), output.Select(c => c.Text).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(output, c => c.Text is "one" or "two");

        // Every call's prompt held every input candidate and its critique.
        Assert.All(m.Calls, call =>
        {
            foreach (var expected in new[] { "[1] one", "[2] two", "Critique of [1]: too short", "Critique of [2]: wrong sign" })
            {
                Assert.Contains(expected, call.Prompt, StringComparison.Ordinal);
            }
        });
    }

    [Fact]
    public async Task Verify_by_model_keeps_passing_candidates_in_order()
    {
        var m = new TestModel((p, _) => p.Contains("four", StringComparison.Ordinal) ? "It adds up.\nVerdict: yes" : "Verdict: no");
        var output = await Run(new VerifySpec(new("m", At), null, OnNonePass.KeepAll, At), Cands("four", "five", "it is four"), One(m));
        Assert.Equal(["c0", "c2"], output.Select(c => c.Id));
        Assert.All(output, c => Assert.True(c.Verified));
    }

    [Theory]
    [InlineData(OnNonePass.KeepAll, 3)]
    [InlineData(OnNonePass.KeepBest, 1)]
    public async Task Verify_when_nothing_passes_follows_on_none(OnNonePass onNone, int survivors)
    {
        var check = new CheckSpec(CheckKind.Regex, "^never$", null, At);
        var output = await Run(new VerifySpec(null, check, onNone, At), Cands("a", "b", "c"), new Dictionary<string, IChatClient>());
        Assert.Equal(survivors, output.Length);
        Assert.All(output, c => Assert.False(c.Verified));
    }

    [Fact]
    public async Task Verify_on_none_fail_fails_the_question()
    {
        var check = new CheckSpec(CheckKind.Number, null, "4", At);
        var ex = await Assert.ThrowsAsync<QuestionFailedException>(() =>
            Run(new VerifySpec(null, check, OnNonePass.Fail, At), Cands("5", "six"), new Dictionary<string, IChatClient>()));
        Assert.Contains("on_none", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_by_numeric_check_compares_final_answers()
    {
        var check = new CheckSpec(CheckKind.Number, null, "1,234", At);
        var output = await Run(new VerifySpec(null, check, OnNonePass.KeepAll, At),
            Cands("so the answer is 1234.", "#### 1234.0", "\\boxed{1233}"), new Dictionary<string, IChatClient>());
        Assert.Equal(["c0", "c1"], output.Select(c => c.Id));
    }

    [Fact]
    public async Task Refine_until_unchanged_stops_when_the_revision_is_identical()
    {
        // Revising the draft "3" adds the units; revising "3 apples" returns it as it is (give or take
        // whitespace); anything else is a revision of a text refine should not have sent.
        var m = new TestModel((p, _) =>
            p.StartsWith("Evaluate", StringComparison.Ordinal) ? "needs units"
            : p.Contains("Response:\n3\n", StringComparison.Ordinal) ? "3 apples"
            : p.Contains("Response:\n3 apples\n", StringComparison.Ordinal) ? "3 apples\n"
            : "unexpected revision");
        var output = await Run(new RefineSpec(new("m", At), 5, RefineStop.Unchanged, null, null, At), Cands("3"), One(m));
        var c = Assert.Single(output);
        Assert.Equal("3 apples\n", c.Text);
        Assert.Equal(4, m.Calls.Count); // round 1 changes, round 2 returns it unchanged
        var revisions = m.Calls.Select(x => x.Prompt).Where(p => !p.StartsWith("Evaluate", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, revisions.Length);
        Assert.Contains("Response:\n3\n", revisions[0], StringComparison.Ordinal);
        Assert.Contains("Response:\n3 apples\n", revisions[1], StringComparison.Ordinal);
        Assert.Equal(2, c.Critiques.Length);
        Assert.Equal(["c0"], c.Parents.ToArray());
    }

    [Fact]
    public async Task Refine_until_verified_checks_first_and_stops_once_it_passes()
    {
        var m = new TestModel((p, _) => p.StartsWith("Evaluate", StringComparison.Ordinal) ? "wrong" : "The answer is 4");
        var check = new CheckSpec(CheckKind.Number, null, "4", At);
        var output = await Run(new RefineSpec(new("m", At), 3, RefineStop.Verified, null, check, At), Cands("5", "The answer is 4"), One(m));
        Assert.Equal(["The answer is 4", "The answer is 4"], output.Select(c => c.Text));
        Assert.Equal(2, m.Calls.Count); // only the first candidate needed one critique + one revise
        Assert.True(output[1].Verified);
    }

    [Fact]
    public async Task Vote_keeps_the_majority_answers_candidates()
    {
        var output = await Run(new VoteSpec(null, TieBreak.First, At), Cands("The answer is 7.", "I think 8", "#### 7", "no idea at all"), new Dictionary<string, IChatClient>());
        Assert.Equal(["c0", "c2"], output.Select(c => c.Id));
        Assert.All(output, c => Assert.Equal(2.0 / 4, c.Score));
    }

    [Fact]
    public async Task Vote_ties_break_by_first_appearance_or_shortest()
    {
        var input = Cands("a long way to say 5", "6", "the result: 5... no wait, 6", "so 5");
        // Two votes each for 5 (c0, c3) and for 6 (c1, c2: its last number). First: 5 appeared first.
        // Shortest: 6 has the shortest candidate ("6").
        var first = await Run(new VoteSpec(null, TieBreak.First, At), input, new Dictionary<string, IChatClient>());
        Assert.Equal(["c0", "c3"], first.Select(c => c.Id));
        Assert.All(first, c => Assert.Equal(0.5, c.Score));
        var shortest = await Run(new VoteSpec(null, TieBreak.Shortest, At), input, new Dictionary<string, IChatClient>());
        Assert.Equal(["c1", "c2"], shortest.Select(c => c.Id));
        Assert.All(shortest, c => Assert.Equal(0.5, c.Score));
    }

    [Fact]
    public async Task Unit_tests_write_once_check_each_candidate_and_keep_the_top()
    {
        var m = new TestModel((p, _) =>
            p.StartsWith("Write", StringComparison.Ordinal) ? "- mentions 4\n- is short\n- is polite"
            : p.Contains("Response:\nfour, thanks", StringComparison.Ordinal) ? "1: PASS\n2: PASS\n3: PASS"
            : p.Contains("Response:\n4", StringComparison.Ordinal) ? "1: PASS\n2: PASS\n3: FAIL"
            : "1: FAIL\n2: FAIL\n3: FAIL");
        var output = await Run(new UnitTestsSpec(new("m", At), 3, 2, At), Cands("5", "4", "four, thanks"), One(m));
        Assert.Equal(4, m.Calls.Count);
        Assert.Equal(["four, thanks", "4"], output.Select(c => c.Text));
        Assert.Equal([1.0, 2.0 / 3], output.Select(c => c.Score!.Value));
        Assert.Equal(3, output[1].Tests.Length);
        Assert.False(output[1].Tests[2].Passed);
    }
}
