// Optimizer benchmark on a simulated benchmark: every architecture of a search space has a known true
// accuracy; an evaluation on n items observes Binomial(n, p) correct answers (noise drawn per seed).
// For each optimizer and seed: does the best architecture it reports equal the true best, and how many
// evaluations (in full-benchmark equivalents) did it spend, against exhaustive search of the space.
//
//   dotnet run -c Release --project perf/Compose.Search.Perf [-- SEEDS]
using System.Collections.Immutable;
using System.Globalization;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;
using Compose.Search;
using Compose.Search.Optimizers;
using Compose.Search.Space;
using Compose.Search.Trials;

var seeds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
const int Items = 10000;

var models = ImmutableArray.Create(
    Model("small"), Model("medium"), Model("large"));
var space = new SearchSpace
{
    Name = "simulated",
    BaseDirectory = Directory.GetCurrentDirectory(),
    Models = models,
    Judge = "large",
    Generators = [["small"], ["large"], ["small", "large"]],
    Samples = [1, 3, 5],
    Critique = [false, true],
    RankKeep = [0, 3],
    FusionLayers = [0, 1, 2],
    Fusers = [1, 2],
    Final = ["none", "verify"],
    Temperatures = [0.2, 0.7, 1.2],
    TemperatureRange = (0.2, 1.2),
    Budget = new BudgetSpec { MaxCalls = 16 },
    MaxTokens = 256,
};
var pool = ArchitecturePool.Build(space, StandardProviders.Catalog);
var calls = pool.Feasible.ToDictionary(p => p.Architecture.Key, p => p.Bound.Calls);
var truth = pool.Feasible.Select(p => (p.Architecture, Accuracy: TrueAccuracy(p.Architecture))).OrderByDescending(x => x.Accuracy).ToList();
var best = truth[0];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"space: {pool.Feasible.Length} architectures within max_calls 16 ({pool.OverBudget} over it); true best {best.Architecture.Key} = {best.Accuracy:P2}; runner-up {truth[1].Architecture.Key} = {truth[1].Accuracy:P2}; {Items} items per full evaluation; {seeds} seeds"));
Console.WriteLine();

var budgets = new (string Name, Func<IOptimizer> Make, int Trials)[]
{
    ("exhaustive (grid)", () => new GridSearch(), pool.Feasible.Length),
    ("random, 10% of space", () => new RandomSearch(), pool.Feasible.Length / 10),
    ("bayes (GP+EI), 10%", () => new BayesianOptimizer(), pool.Feasible.Length / 10),
    ("bayes (GP+EI), 5%", () => new BayesianOptimizer(), pool.Feasible.Length / 20),
    ("successive halving", () => new SuccessiveHalving(), pool.Feasible.Length / 5),
};
Console.WriteLine("| optimizer | seeds finding the true best | mean evaluations (full-benchmark equivalents) | share of exhaustive |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (var (name, make, trials) in budgets)
{
    var found = 0;
    var evaluations = 0.0;
    for (var seed = 0; seed < seeds; seed++)
    {
        var evaluator = new SimulatedEvaluator(TrueAccuracy, a => calls[a.Key], Items, noiseSeed: 1000 + seed);
        var context = new OptimizerContext(pool, Items, trials, seed);
        var result = await SearchRunner.RunAsync(make(), context, evaluator, store: null);
        found += result.Best?.Architecture.Key == best.Architecture.Key ? 1 : 0;
        evaluations += result.FullEvaluations(Items);
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {found}/{seeds} ({(double)found / seeds:P0}) | {evaluations / seeds:F1} | {evaluations / seeds / pool.Feasible.Length:P1} |"));
}

static ModelSpec Model(string name) =>
    new(name, "scripted", new SpecMapping([new SpecEntry("default", SourceLocation.None, new SpecScalar("42", SourceLocation.None))], SourceLocation.None), SourceLocation.None);

// A smooth landscape with interactions: stronger generators, diminishing returns of more samples,
// a temperature optimum that rises with samples (diversity helps voting), fusion that helps only with
// several candidates, and a final check that helps most after fusion.
static double TrueAccuracy(Architecture a)
{
    var strength = a.Generators.Sum(g => g == "small" ? 0.35 : 0.50) / a.Generators.Length;
    var diversity = 0.04 * (a.Generators.Length - 1);
    var candidates = a.Generators.Length * a.Samples;
    var vote = 0.15 * (1 - (1.0 / Math.Sqrt(candidates)));
    var bestT = 0.4 + (0.06 * Math.Min(candidates, 6));
    var temperature = -0.25 * (a.Temperature - bestT) * (a.Temperature - bestT);
    var critique = a.Critique ? (a.RankKeep > 0 || a.FusionLayers > 0 ? 0.045 : -0.01) : 0;
    var rank = a.RankKeep > 0 ? (candidates > 3 ? 0.03 : -0.01) : 0;
    var fusion = a.FusionLayers == 0 ? 0 : (candidates >= 3 ? 0.05 : 0.01) + (a.FusionLayers == 2 ? -0.01 : 0) + (0.03 * (a.Fusers - 1));
    var final = a.Final == "verify" ? (a.FusionLayers > 0 ? 0.035 : 0.015) : 0;
    return Math.Clamp(strength + diversity + vote + temperature + critique + rank + fusion + final, 0.01, 0.99);
}
