using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;
using Compose.Models.Middleware;
using Compose.Prompts;
using Compose.Techniques;
using Microsoft.Extensions.AI;

namespace Compose.Runtime;

/// <summary>
/// A pipeline ready to run: its graph, its techniques, its templates and one model stack per model
/// (outer middleware ▸ usage+budget ▸ concurrency limit ▸ telemetry ▸ provider). Layers run in
/// order; the nodes of a layer, and the calls within a node, run concurrently. A compiled pipeline
/// is itself an <see cref="IChatClient"/>, so it can be a model in another pipeline or any host.
/// </summary>
public sealed class CompiledPipeline : IChatClient
{
    private readonly ImmutableDictionary<string, IChatClient> _models;
    private readonly ImmutableArray<(GraphNode Node, ITechnique Technique, ImmutableDictionary<string, PromptTemplate> Templates)> _nodes;
    private readonly ImmutableArray<ImmutableArray<int>> _layers;

    private CompiledPipeline(
        PipelineGraph graph,
        ImmutableDictionary<string, IChatClient> models,
        ImmutableArray<(GraphNode, ITechnique, ImmutableDictionary<string, PromptTemplate>)> nodes)
    {
        Graph = graph;
        _models = models;
        _nodes = nodes;
        _layers = [.. Enumerable.Range(0, graph.LayerCount)
            .Select(l => nodes.Select((n, i) => (n.Item1.Layer, i)).Where(x => x.Layer == l).Select(x => x.i).ToImmutableArray())];
    }

    public PipelineGraph Graph { get; }

    public PipelineSpec Spec => Graph.Spec;

    /// <summary>The model stacks by name (for inspection and tests).</summary>
    public IReadOnlyDictionary<string, IChatClient> Models => _models;

    /// <summary>Builds the models, techniques and templates of a checked graph. Problems come back as diagnostics.</summary>
    public static (CompiledPipeline? Pipeline, ImmutableArray<Diagnostic> Diagnostics) Build(
        PipelineGraph graph, ModelProviderCatalog catalog, ModelProviderContext context, PipelineBuildOptions? options = null)
    {
        options ??= PipelineBuildOptions.Default;
        var diagnostics = new List<Diagnostic>();
        var nodes = ImmutableArray.CreateBuilder<(GraphNode, ITechnique, ImmutableDictionary<string, PromptTemplate>)>();
        foreach (var node in graph.Nodes)
        {
            var (templates, problems) = PromptLibrary.Resolve(node.Spec, graph.Spec.BaseDirectory);
            diagnostics.AddRange(problems);
            nodes.Add((node, TechniqueFactory.Create(node.Spec), templates));
        }

        var models = ImmutableDictionary.CreateBuilder<string, IChatClient>(StringComparer.Ordinal);
        foreach (var name in graph.Nodes.SelectMany(n => n.ResolvedModels).Distinct(StringComparer.Ordinal))
        {
            var spec = graph.Spec.FindModel(name) ?? (name == "default" ? catalog.DefaultModel : null);
            if (spec is null || !catalog.TryGet(spec.Provider, out var provider))
            {
                diagnostics.Add(Diagnostic.Error(RuntimeDiagnosticCodes.ModelCreation, spec?.Location ?? graph.Spec.Location,
                    $"model '{name}' cannot be created: no provider '{spec?.Provider ?? "?"}' is available", "Check the model's provider."));
                continue;
            }

            try
            {
                var bare = provider.Create(spec, context);
                var builder = new ChatClientBuilder(bare);
                options.ConfigureModel?.Invoke(builder, spec);
                if (bare is not CompiledPipeline)
                {
                    // A nested pipeline meters its own calls against this question's budget (see QuestionBudget.Parent).
                    builder.UseUsageBudget(name);
                }

                builder.UseConcurrencyLimit(spec.Concurrency);
                if (options.Telemetry)
                {
                    builder.UseOpenTelemetry(sourceName: ComposeTelemetry.SourceName);
                }

                models[name] = builder.Build();
            }
            catch (DiagnosticException ex)
            {
                diagnostics.AddRange(ex.Diagnostics);
            }
        }

        if (diagnostics.Any(d => d.IsError))
        {
            foreach (var client in models.Values)
            {
                client.Dispose();
            }

            return (null, [.. diagnostics]);
        }

        return (new CompiledPipeline(graph, models.ToImmutable(), nodes.ToImmutable()), [.. diagnostics]);
    }

    /// <summary>Answers one question given as text.</summary>
    public Task<RunResult> RunAsync(string question, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        RunAsync(Question.FromText(question, options?.QuestionId), options, cancellationToken);

    /// <summary>
    /// Answers one question. Model errors and budget exhaustion do not throw: they come back in the
    /// result (a budget stop returns the best result so far, flagged). Cancellation throws.
    /// </summary>
    public async Task<RunResult> RunAsync(Question question, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= RunOptions.Default;
        var trace = options.Trace;
        var budget = new QuestionBudget(options.Budget ?? Spec.Budget, QuestionScope.Current?.Budget);
        var started = Stopwatch.GetTimestamp();
        using var scope = QuestionScope.Enter(new QuestionScope(budget));
        using var runActivity = ComposeTelemetry.Source.StartActivity("compose.run");
        runActivity?.SetTag("compose.pipeline", Spec.Name);
        runActivity?.SetTag("compose.question_id", question.Id);
        trace.Write(new RunStarted(Spec.Name, question.Text, options.Seed) { QuestionId = question.Id });

        var current = ImmutableArray<Candidate>.Empty;
        var all = ImmutableArray.CreateBuilder<Candidate>();
        var completed = 0;
        string? error = null;
        var exhausted = false;
        for (var layer = 0; layer < _layers.Length; layer++)
        {
            var layerStarted = Stopwatch.GetTimestamp();
            using var layerActivity = ComposeTelemetry.Source.StartActivity("compose.layer");
            layerActivity?.SetTag("compose.layer", layer);
            var input = current;
            var tasks = _layers[layer].Select(i => RunNode(i, question, input, options, cancellationToken)).ToArray();
            try
            {
                var outputs = await Task.WhenAll(tasks).ConfigureAwait(false);
                var next = outputs.SelectMany(o => o).ToImmutableArray();
                foreach (var (nodeIndex, output) in _layers[layer].Zip(outputs))
                {
                    foreach (var candidate in output)
                    {
                        all.Add(candidate);
                        trace.Write(new CandidateProduced(_nodes[nodeIndex].Node.Id, layer, candidate) { QuestionId = question.Id });
                    }
                }

                current = next;
                completed++;
                trace.Write(new LayerFinished(layer, [.. current.Select(c => c.Id)], Stopwatch.GetElapsedTime(layerStarted).TotalMilliseconds) { QuestionId = question.Id });
                if (budget.Exhausted)
                {
                    exhausted = true;
                    break;
                }
            }
            catch (Exception) when (tasks.Any(t => t.Exception?.InnerExceptions.Any(e => e is BudgetExceededException) == true)
                && !cancellationToken.IsCancellationRequested)
            {
                exhausted = true;
                layerActivity?.SetStatus(ActivityStatusCode.Error, "budget exhausted");
                break;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                error = Describe(ex);
                layerActivity?.SetStatus(ActivityStatusCode.Error, error);
                break;
            }
        }

        if (exhausted && current.IsEmpty && error is null)
        {
            error = "the budget was exhausted before any candidate was produced";
        }

        var answer = error is null ? Selection.Select(Spec.Output, current) : null;
        if (error is null && answer is null)
        {
            error = "no candidate survived the pipeline";
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var result = new RunResult
        {
            QuestionId = question.Id,
            AnswerCandidate = answer,
            Survivors = current,
            AllCandidates = all.ToImmutable(),
            Usage = budget.Spent,
            BudgetExhausted = exhausted,
            LayersCompleted = completed,
            Error = error,
            Elapsed = elapsed,
        };
        runActivity?.SetTag("compose.calls", result.Usage.Calls);
        runActivity?.SetTag("compose.input_tokens", result.Usage.InputTokens);
        runActivity?.SetTag("compose.output_tokens", result.Usage.OutputTokens);
        runActivity?.SetTag("compose.budget_exhausted", exhausted);
        if (error is not null)
        {
            runActivity?.SetStatus(ActivityStatusCode.Error, error);
        }

        trace.Write(new RunFinished(result.Answer, answer?.Id, exhausted, error, result.Usage, elapsed.TotalMilliseconds) { QuestionId = question.Id });
        return result;
    }

    private async Task<ImmutableArray<Candidate>> RunNode(int index, Question question, ImmutableArray<Candidate> input, RunOptions options, CancellationToken ct)
    {
        var (node, technique, templates) = _nodes[index];
        using var activity = ComposeTelemetry.Source.StartActivity("compose.technique");
        activity?.SetTag("compose.node", node.Id);
        activity?.SetTag("compose.technique", node.Spec.Kind);
        activity?.SetTag("compose.candidates_in", input.Length);
        var context = new TechniqueContext(question, node, input, templates, Spec.Defaults, _models, options.Seed, options.Trace, (options.Budget ?? Spec.Budget).Prices);
        var output = await technique.RunAsync(context, ct).ConfigureAwait(false);
        activity?.SetTag("compose.candidates_out", output.Length);
        return output;
    }

    private static string Describe(Exception ex) => ex switch
    {
        AggregateException { InnerExceptions.Count: > 0 } a => Describe(a.InnerExceptions[0]),
        _ => ex.Message,
    };

    // ---- IChatClient: a compiled pipeline is a model ----

    /// <summary>Runs the pipeline on the conversation; the answer is the response. Seed and budget come from <see cref="ChatOptions"/> (Seed, AdditionalProperties "compose.max_calls").</summary>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var question = Question.FromMessages(messages);
        var result = await RunAsync(question, ToRunOptions(options), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new PipelineRunException(Spec.Name, result);
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Answer))
        {
            ModelId = Spec.Name,
            FinishReason = result.BudgetExhausted ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = result.Usage.InputTokens,
                OutputTokenCount = result.Usage.OutputTokens,
                TotalTokenCount = result.Usage.TotalTokens,
            },
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                ["compose.calls"] = result.Usage.Calls,
                ["compose.budget_exhausted"] = result.BudgetExhausted,
                ["compose.candidates"] = result.AllCandidates.Length,
            },
        };
    }

    /// <summary>Runs the pipeline, then streams the final answer (the final technique's output) as updates.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("compose", null, Spec.Name)
        : null;

    public void Dispose()
    {
        foreach (var client in _models.Values)
        {
            client.Dispose();
        }
    }

    private static RunOptions ToRunOptions(ChatOptions? options)
    {
        var run = new RunOptions { Seed = options?.Seed ?? 0 };
        if (options?.AdditionalProperties is { } props
            && props.TryGetValue("compose.max_calls", out var maxCalls) && maxCalls is int calls)
        {
            run = run with { Budget = new BudgetSpec { MaxCalls = calls } };
        }

        return run;
    }
}

/// <summary>A pipeline used as a chat client could not answer.</summary>
public sealed class PipelineRunException(string pipeline, RunResult result)
    : Exception($"pipeline '{pipeline}' produced no answer: {result.Error}")
{
    public RunResult Result { get; } = result;
}
