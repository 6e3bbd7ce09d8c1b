using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;
using Compose.Search.Optimizers;
using Compose.Search.Space;
using Compose.Search.Study;
using Compose.Search.Trials;

namespace Compose.Search.Tests;

public sealed class SearchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("compose-search-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SearchSpace Space() => new()
    {
        Name = "t",
        BaseDirectory = Directory.GetCurrentDirectory(),
        Models = [Model("a"), Model("b")],
        Generators = [["a"], ["b"], ["a", "b"]],
        Samples = [1, 3, 5],
        Critique = [false, true],
        RankKeep = [0, 2],
        FusionLayers = [0, 1],
        Fusers = [1, 2],
        Final = ["none", "verify"],
        Temperatures = [0.2, 0.7],
        Budget = new BudgetSpec { MaxCalls = 12 },
    };

    private static ModelSpec Model(string name) =>
        new(name, "scripted", new SpecMapping([new SpecEntry("default", SourceLocation.None, new SpecScalar("A: 1", SourceLocation.None))], SourceLocation.None), SourceLocation.None);

    private static double Truth(Architecture a) =>
        0.4 + (a.Generators.Contains("b") ? 0.1 : 0) + (0.03 * a.Samples) + (a.FusionLayers * 0.05) + (a.Critique ? 0.02 : 0) - (Math.Abs(a.Temperature - 0.7) * 0.1) + (a.RankKeep * 0.011) + (a.Final == "verify" ? 0.013 : 0) + (a.Fusers * 0.007);

    [Fact]
    public void Architectures_over_the_budget_are_never_in_the_pool()
    {
        var pool = ArchitecturePool.Build(Space(), StandardProviders.Catalog);
        Assert.True(pool.OverBudget > 0);
        Assert.NotEmpty(pool.Feasible);
        Assert.All(pool.Feasible, p => Assert.True(p.Bound.Calls <= 12, p.Architecture.Key));
        Assert.Contains(pool.Feasible, p => p.Bound.Calls == 12 || p.Bound.Calls == 11);
    }

    [Fact]
    public async Task Bayesian_search_finds_the_best_with_few_evaluations()
    {
        var pool = ArchitecturePool.Build(Space(), StandardProviders.Catalog);
        var best = pool.Feasible.MaxBy(p => Truth(p.Architecture))!.Architecture;
        var evaluator = new SimulatedEvaluator(Truth, _ => 1, 20000, 3);
        var result = await SearchRunner.RunAsync(new BayesianOptimizer(), new OptimizerContext(pool, 20000, pool.Feasible.Length / 5, 1), evaluator, null);
        // Within the noise of 20,000 items: the reported best is the true best or one less than a point behind it.
        Assert.True(Truth(result.Best!.Architecture) >= Truth(best) - 0.008, result.Best.Architecture.Key);
        Assert.True(result.Trials.Length <= pool.Feasible.Length / 5);
    }

    [Fact]
    public async Task Resumed_study_replays_finished_trials_and_reruns_only_the_interrupted_one()
    {
        var pool = ArchitecturePool.Build(Space(), StandardProviders.Catalog);
        var context = new OptimizerContext(pool, 200, 8, 42);
        var evaluator = new SimulatedEvaluator(Truth, _ => 1, 200, 9);
        var reference = await SearchRunner.RunAsync(new BayesianOptimizer(initialTrials: 3), context, evaluator, null);

        var path = Path.Combine(_dir, "study.db");
        using (var store = StudyStore.Open(path))
        {
            var stopping = new StopAfter(evaluator, 5);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SearchRunner.RunAsync(new BayesianOptimizer(initialTrials: 3), context, stopping, store));
            var trials = store.Trials();
            Assert.Equal(6, trials.Length);
            Assert.Equal(TrialStatus.Running, trials[^1].Status);
        }

        using (var store = StudyStore.Open(path))
        {
            var counting = new StopAfter(evaluator, int.MaxValue);
            var resumed = await SearchRunner.RunAsync(new BayesianOptimizer(initialTrials: 3), context, counting, store);
            Assert.Equal(5, resumed.Reused);
            Assert.Equal(1, resumed.Rerun);
            Assert.Equal(3, counting.Calls);
            Assert.Equal(reference.Trials.Select(t => (t.Architecture.Key, t.Correct)), resumed.Trials.Select(t => (t.Architecture.Key, t.Correct)));
            Assert.Equal(2, store.Trials()[5].Attempts);
        }
    }

    [Fact]
    public void A_corrupt_study_is_a_diagnostic_not_a_crash()
    {
        var garbage = Path.Combine(_dir, "garbage.db");
        File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);
        var ex = Assert.Throws<DiagnosticException>(() => StudyStore.Open(garbage));
        Assert.Equal(SearchDiagnosticCodes.StudyUnreadable, ex.Diagnostics[0].Code);

        var foreign = Path.Combine(_dir, "foreign.db");
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={foreign};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE trials (number INTEGER PRIMARY KEY, other TEXT); INSERT INTO trials VALUES (0, 'x');";
            cmd.ExecuteNonQuery();
        }

        using var store = StudyStore.Open(foreign);
        Assert.Equal(SearchDiagnosticCodes.StudyUnreadable, Assert.Throws<DiagnosticException>(() => store.Trials()).Diagnostics[0].Code);
    }

    [Fact]
    public async Task Successive_halving_promotes_the_best_to_larger_slices()
    {
        var pool = ArchitecturePool.Build(Space(), StandardProviders.Catalog);
        var result = await SearchRunner.RunAsync(new SuccessiveHalving(), new OptimizerContext(pool, 900, 27, 0), new SimulatedEvaluator(Truth, _ => 1, 900, 1), null);
        Assert.Equal([33, 100, 300, 900], result.Trials.Select(t => t.Fidelity).Distinct());
        Assert.Equal(27 + 9 + 3 + 1, result.Trials.Length);
        Assert.Equal(900, result.Best!.Fidelity);
    }

    [Fact]
    public void Space_file_problems_are_located()
    {
        var file = Path.Combine(_dir, "s.space.yaml");
        File.WriteAllText(Path.Combine(_dir, "m.yaml"), "models:\n  a: { provider: scripted }\n");
        File.WriteAllText(file, "search: 1\nname: s\nmodels: m.yaml\naxes:\n  generators: [[a], [zz]]\n  samples: [1, 2.5]\n  colour: [red]\nbudget: { max_calls: 5 }\n");
        var (space, diagnostics) = SearchSpaceReader.ReadFile(file);
        Assert.Null(space);
        Assert.Contains(diagnostics, d => d.Code == SearchDiagnosticCodes.SpaceBadValue && d.Location.Line == 5 && d.Message.Contains("zz", StringComparison.Ordinal));
        Assert.Contains(diagnostics, d => d.Code == SearchDiagnosticCodes.SpaceBadValue && d.Location.Line == 6);
        Assert.Contains(diagnostics, d => d.Code == SearchDiagnosticCodes.SpaceUnknownKey && d.Location.Line == 7);
    }

    [Fact]
    public void A_space_budget_is_read_by_the_pipeline_language()
    {
        var file = Path.Combine(_dir, "s.space.yaml");
        File.WriteAllText(Path.Combine(_dir, "m.yaml"), "models:\n  a: { provider: scripted }\n");
        File.WriteAllText(file, "search: 1\nname: s\nmodels: m.yaml\naxes:\n  generators: [[a]]\n"
            + "budget: { max_calls: 9, max_cost: 0.5, prices: { a: { input: 0.15, output: 0.6 } } }\n");
        var (space, diagnostics) = SearchSpaceReader.ReadFile(file);
        Assert.Empty(diagnostics);
        Assert.Equal(9, space!.Budget.MaxCalls);
        Assert.Equal(0.5m, space.Budget.MaxCost);
        Assert.Equal((0.15m, 0.6m), (space.Budget.Prices["a"].InputPer1K, space.Budget.Prices["a"].OutputPer1K));
        Assert.Equal(6, space.Budget.MaxCostLocation.Line);
    }

    [Fact]
    public void A_written_architecture_keeps_the_spaces_money_budget_and_the_prices_of_the_models_it_calls()
    {
        var prices = new Dictionary<string, ModelPrice>
        {
            ["a"] = new(0.15m, 0.6m, SourceLocation.None),
            ["b"] = new(1.5m, 2m, SourceLocation.None),
        }.ToImmutableDictionary();
        var space = Space() with { Budget = new BudgetSpec { MaxCalls = 12, MaxCost = 0.25m, Prices = prices } };
        var architecture = ArchitecturePool.Enumerate(space).First(x => x.Generators.SequenceEqual(["a"]) && x.Critique == false && x.FusionLayers == 0 && x.RankKeep == 0);

        var yaml = ArchitectureWriter.ToYaml(architecture, space, "best");
        var (spec, diagnostics) = ArchitectureWriter.ToSpec(architecture, space);

        Assert.Contains("budget: { max_calls: 12, max_cost: 0.25, prices: { a: { input: 0.15, output: 0.6 } } }", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain(diagnostics, d => d.IsError);
        Assert.Equal(0.25m, spec!.Budget.MaxCost);
        Assert.Equal(["a"], spec.Budget.Prices.Keys.ToArray());
    }

    [Fact]
    public void A_money_budget_keeps_the_architectures_whose_cost_bound_fits_and_only_those()
    {
        var prices = new Dictionary<string, ModelPrice>
        {
            ["a"] = new(0.001m, 0.001m, SourceLocation.None),
            ["b"] = new(1000m, 1000m, SourceLocation.None),
        }.ToImmutableDictionary();
        var space = Space() with { Budget = new BudgetSpec { MaxCost = 0.5m, Prices = prices } };

        var pool = ArchitecturePool.Build(space, StandardProviders.Catalog);

        Assert.NotEmpty(pool.Feasible);
        Assert.True(pool.OverBudget > 0);
        Assert.All(pool.Feasible, p => Assert.True(p.MaxCost is { } cost && cost <= 0.5m && !p.Architecture.Generators.Contains("b"), p.Architecture.Key));
    }

    public static TheoryData<string> BudgetCases() =>
    [
        "{ max_calls: 0 }",
        "{ max_calls: 2.5 }",
        "{ max_tokens: -1 }",
        "{ max_cost: -0.1 }",
        "{ max_cals: 5 }",
        "{ max_calls: 5, prices: { a: [0.15, 0.6] } }",
        "{ max_calls: 5, prices: { a: { input: 0.15 } } }",
        "{ max_calls: 5, prices: { a: { input: '0.15', output: 0.6 } } }",
        "[5]",
    ];

    [Theory]
    [MemberData(nameof(BudgetCases))]
    public void A_space_budget_has_the_pipeline_budget_diagnostics(string budget)
    {
        var pipeline = PipelineReader.Read($"compose: 1\nname: p\nmodels:\n  a: {{ provider: scripted }}\nbudget: {budget}\nlayers:\n  - generate: {{ model: a }}\n", "p.yaml");
        var expected = pipeline.Diagnostics.Where(d => d.IsError).Select(d => (d.Code, d.Location.Column, d.Message)).ToList();
        Assert.NotEmpty(expected);

        var file = Path.Combine(_dir, "s.space.yaml");
        File.WriteAllText(Path.Combine(_dir, "m.yaml"), "models:\n  a: { provider: scripted }\n");
        File.WriteAllText(file, $"search: 1\nname: s\nmodels: m.yaml\naxes:\n  generators: [[a]]\nbudget: {budget}\n");
        var (space, diagnostics) = SearchSpaceReader.ReadFile(file);

        Assert.Null(space);
        // Same codes, columns and messages on the budget's line (line 5 of the pipeline, line 6 of the space).
        Assert.All(pipeline.Diagnostics.Where(d => d.IsError), d => Assert.Equal(5, d.Location.Line));
        Assert.Equal(expected, diagnostics.Where(d => d.IsError && d.Location.Line == 6).Select(d => (d.Code, d.Location.Column, d.Message)).ToList());
    }

    private sealed class StopAfter(ITrialEvaluator inner, int allowed) : ITrialEvaluator
    {
        public int Calls { get; private set; }

        public int FullFidelity => inner.FullFidelity;

        public Task<TrialOutcome> EvaluateAsync(Architecture architecture, int fidelity, long seed, CancellationToken cancellationToken)
        {
            Calls++;
            if (Calls > allowed)
            {
                throw new OperationCanceledException("killed");
            }

            return inner.EvaluateAsync(architecture, fidelity, seed, cancellationToken);
        }
    }
}
