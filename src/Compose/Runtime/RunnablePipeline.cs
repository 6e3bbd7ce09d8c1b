using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;
using Compose.Models.Middleware;
using Compose.Prompts;
using Microsoft.Extensions.AI;

namespace Compose.Runtime;

/// <summary>
/// A pipeline ready to run: its graph, its techniques, its templates and one model stack per model
/// (outer middleware ▸ usage+budget ▸ concurrency limit ▸ telemetry ▸ provider). Layers run in
/// order; the nodes of a layer, and the calls within a node, run concurrently. A compiled pipeline
/// is itself an <see cref="IChatClient"/>, so it can be a model in another pipeline or any host.
/// </summary>
public sealed class RunnablePipeline : IChatClient
{
    private readonly ImmutableDictionary<string, IChatClient> _models;
    private readonly ImmutableArray<(GraphNode Node, ITechnique Technique, ImmutableDictionary<string, PromptTemplate> Templates)> _nodes;
    private readonly ImmutableArray<ImmutableArray<int>> _layers;

    private RunnablePipeline(
        PipelineGraph graph,
        ImmutableDictionary<string, IChatClient> models,
        ImmutableArray<(GraphNode, ITechnique, ImmutableDictionary<string, PromptTemplate>)> nodes,
        ImmutableHashSet<string> writers)
    {
        Graph = graph;
        _models = models;
        _nodes = nodes;
        _layers = [.. Enumerable.Range(0, graph.LayerCount)
            .Select(l => nodes.Select((n, i) => (n.Item1.Layer, i)).Where(x => x.Layer == l).Select(x => x.i).ToImmutableArray())];
        StreamsFinalLayer = _layers.Length > 0 && _layers[^1].Length == 1 && AnswersInOneCall(nodes[_layers[^1][0]].Item1, writers);
    }

    /// <summary>
    /// True when <see cref="GetStreamingResponseAsync"/> streams the final technique's tokens as the
    /// model writes them: the last layer is one <c>generate</c> (one model, <c>samples: 1</c>) or one
    /// <c>fuse</c> (<c>samples: 1</c>), so its single call is the answer. Earlier layers run as usual.
    /// Other shapes run the whole pipeline, then stream the answer.
    /// </summary>
    public bool StreamsFinalLayer { get; }

    /// <summary>The models whose stack meters usage against the question's budget (all but nested pipelines).</summary>
    internal ImmutableHashSet<string> MeteredModels { get; private init; } = [];

    /// <summary>What each model offers beyond plain chat, as its provider declares it.</summary>
    internal ImmutableDictionary<string, ModelCapabilities> Capabilities { get; private init; } = ImmutableDictionary<string, ModelCapabilities>.Empty;

    public PipelineGraph Graph { get; }

    public PipelineSpec Spec => Graph.Spec;

    /// <summary>The model stacks by name (for inspection and tests).</summary>
    public IReadOnlyDictionary<string, IChatClient> Models => _models;

    /// <summary>Builds the models, techniques and templates of a checked graph. Problems come back as diagnostics.</summary>
    public static (RunnablePipeline? Pipeline, ImmutableArray<Diagnostic> Diagnostics) Build(
        PipelineGraph graph, ModelProviderCatalog catalog, ModelProviderContext context, PipelineBuildOptions? options = null)
    {
        options ??= PipelineBuildOptions.Default;
        var diagnostics = new List<Diagnostic>();
        var nodes = ImmutableArray.CreateBuilder<(GraphNode, ITechnique, ImmutableDictionary<string, PromptTemplate>)>();
        var writers = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            var definition = catalog.Techniques.For<ITechniqueRules>(node.Spec);
            var (templates, problems) = PromptLibrary.Resolve(node.Spec, definition.Templates, graph.Spec.BaseDirectory, context.Files);
            diagnostics.AddRange(problems);
            ITechnique technique;
            try
            {
                technique = catalog.Techniques.For<ITechniqueFactory>(node.Spec).CreateFor(node.Spec);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException && TechniqueFailure.IsExternal(definition))
            {
                diagnostics.Add(TechniqueFailure.Of(node.Spec.Kind, definition, $"creating node {node.Id}", exception, node.Spec.Location));
                continue;
            }

            nodes.Add((node, technique, templates));
            if (definition.Effect == CandidateEffect.Writes)
            {
                writers.Add(node.Id);
            }
        }

        var models = ImmutableDictionary.CreateBuilder<string, IChatClient>(StringComparer.Ordinal);
        var metered = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var capabilities = ImmutableDictionary.CreateBuilder<string, ModelCapabilities>(StringComparer.Ordinal);
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
                var bare = provider.Create(spec, context.For(spec));
                capabilities[name] = Offered(provider, spec, context.For(spec));
                var builder = new ChatClientBuilder(bare);
                options.ConfigureModel?.Invoke(builder, spec);
                if (bare is not RunnablePipeline)
                {
                    // A nested pipeline meters its own calls against this question's budget (see QuestionBudget.Parent).
                    builder.UseUsageBudget(name);
                    metered.Add(name);
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

        return (new RunnablePipeline(graph, models.ToImmutable(), nodes.ToImmutable(), writers.ToImmutable()) { MeteredModels = metered.ToImmutable(), Capabilities = capabilities.ToImmutable() }, [.. diagnostics]);
    }

    private static ModelCapabilities Offered(IModelProvider provider, ModelSpec spec, ModelProviderContext context)
    {
        try
        {
            return provider.Capabilities(spec, context);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return ModelCapabilities.None; // the contract says it must not throw; a provider that does offers nothing
        }
    }

    /// <summary>Answers one question given as text.</summary>
    public Task<RunResult> RunAsync(string question, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        RunAsync(Question.FromText(question, options?.QuestionId), options, cancellationToken);

    /// <summary>
    /// Answers one question. Model errors and budget exhaustion do not throw: they come back in the
    /// result (a budget stop returns the best result so far, flagged). Cancellation throws.
    /// </summary>
    public Task<RunResult> RunAsync(Question question, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(question, options ?? RunOptions.Default, null, cancellationToken);

    private async Task<RunResult> RunCoreAsync(Question question, RunOptions options, ChannelWriter<ChatResponseUpdate>? finalStream, CancellationToken cancellationToken)
    {
        var trace = options.Trace;
        var budget = new QuestionBudget(options.Budget ?? Spec.Budget, QuestionScope.Current?.Budget);
        var started = Stopwatch.GetTimestamp();
        var questionScope = new QuestionScope(budget);
        using var scope = QuestionScope.Enter(questionScope);
        using var runActivity = ComposeTelemetry.Source.StartActivity("compose.run");
        runActivity?.SetTag("compose.pipeline", Spec.Name);
        runActivity?.SetTag("compose.question_id", question.Id);
        // Events are built only for a sink that keeps them (each stamps the time).
        var tracing = trace is not NullTraceSink;
        if (tracing)
        {
            trace.Write(new RunStarted(Spec.Name, question.Text, options.Seed) { QuestionId = question.Id });
        }

        var current = ImmutableArray<Candidate>.Empty;
        var all = new List<Candidate>();
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        var layerOutputs = ImmutableArray.CreateBuilder<ImmutableArray<string>>();
        var collected = new System.Collections.Concurrent.ConcurrentQueue<TraceEvent>();

        // The first call that fails for good (not for the budget) cancels the question's other calls, so a failed
        // question does not wait out its siblings' retries and timeouts.
        using var questionCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var firstFailure = new FirstFailure(questionCancel);
        var completed = 0;
        string? error = null;
        var exhausted = false;
        for (var layer = 0; layer < _layers.Length; layer++)
        {
            var layerStarted = Stopwatch.GetTimestamp();
            using var layerActivity = ComposeTelemetry.Source.StartActivity("compose.layer");
            layerActivity?.SetTag("compose.layer", layer);
            var input = current;
            var stream = layer == _layers.Length - 1 ? finalStream : null;
            var nodes = _layers[layer];
            var tasks = new Task<ImmutableArray<Candidate>>[nodes.Length];
            for (var n = 0; n < nodes.Length; n++)
            {
                tasks[n] = RunNode(nodes[n], question, input, options, stream, collected, firstFailure, questionCancel.Token);
            }

            try
            {
                var outputs = await Task.WhenAll(tasks).ConfigureAwait(false);
                var next = outputs.SelectMany(o => o).ToImmutableArray();
                for (var n = 0; n < nodes.Length; n++)
                {
                    var nodeIndex = nodes[n];
                    foreach (var candidate in outputs[n])
                    {
                        // Each candidate once, in the order first seen, as its latest version (with the
                        // critiques, scores and verdicts later layers added).
                        if (positions.TryGetValue(candidate.Id, out var at))
                        {
                            all[at] = candidate;
                        }
                        else
                        {
                            positions[candidate.Id] = all.Count;
                            all.Add(candidate);
                        }

                        if (tracing)
                        {
                            trace.Write(new CandidateProduced(_nodes[nodeIndex].Node.Id, layer, candidate) { QuestionId = question.Id });
                        }
                    }
                }

                current = next;
                ImmutableArray<string> ids = [.. next.Select(c => c.Id)];
                layerOutputs.Add(ids);
                completed++;
                if (tracing)
                {
                    trace.Write(new LayerFinished(layer, ids, Stopwatch.GetElapsedTime(layerStarted).TotalMilliseconds) { QuestionId = question.Id });
                }
                if (budget.Exhausted)
                {
                    exhausted = true;
                    break;
                }
            }
            catch (Exception) when (firstFailure.Exception is { } failed && !cancellationToken.IsCancellationRequested)
            {
                // A real failure wins over siblings that were cancelled because of it, or that hit the budget.
                error = Describe(failed);
                layerActivity?.SetStatus(ActivityStatusCode.Error, error);
                break;
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

        if (error is null && Spec.Output.Kind == SelectionKind.Vote && current.Length > 1)
        {
            var count = Selection.Count(current, Spec.Output.Extract is null ? null : new UserRegex(Spec.Output.Extract, "output extract"), Spec.Output.TieBreak);
            var tally = new VoteCounted("output", count.Answer, count.Share, count.Tally, count.Abstained) { QuestionId = question.Id };
            trace.Write(tally);
            collected.Enqueue(tally);
        }

        var answer = error is null ? Selection.Select(Spec.Output, current) : null;
        if (error is null && answer is null)
        {
            error = "no candidate survived the pipeline";
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        ImmutableArray<RunWarning> regexWarnings = questionScope.Regex.Report() is { } regexReport
            ? [new RunWarning(regexReport) { QuestionId = question.Id, Code = RuntimeDiagnosticCodes.RegexTimedOut }]
            : [];
        foreach (var warning in regexWarnings)
        {
            trace.Write(warning);
        }

        // Warnings techniques reported (already traced by TechniqueContext.Report) come first, in the order reported.
        var warningEvents = collected.OfType<RunWarning>().Concat(regexWarnings).ToImmutableArray();
        var warnings = warningEvents.Select(w => w.Message).ToImmutableArray();

        var result = new RunResult
        {
            QuestionId = question.Id,
            AnswerCandidate = answer,
            Survivors = current,
            AllCandidates = [.. all],
            LayerOutputs = layerOutputs.ToImmutable(),
            Votes = [.. collected.OfType<VoteCounted>()],
            Usage = budget.Spent,
            BudgetExhausted = exhausted,
            LayersCompleted = completed,
            Error = error,
            Elapsed = elapsed,
            Warnings = warnings,
            WarningEvents = warningEvents,
        };
        runActivity?.SetTag("compose.calls", result.Usage.Calls);
        runActivity?.SetTag("compose.input_tokens", result.Usage.InputTokens);
        runActivity?.SetTag("compose.output_tokens", result.Usage.OutputTokens);
        runActivity?.SetTag("compose.budget_exhausted", exhausted);
        if (error is not null)
        {
            runActivity?.SetStatus(ActivityStatusCode.Error, error);
        }

        if (tracing)
        {
            trace.Write(new RunFinished(result.Answer, answer?.Id, exhausted, error, result.Usage, elapsed.TotalMilliseconds) { QuestionId = question.Id });
        }

        trace.Flush();
        return result;
    }

    private async Task<ImmutableArray<Candidate>> RunNode(
        int index, Question question, ImmutableArray<Candidate> input, RunOptions options, ChannelWriter<ChatResponseUpdate>? stream,
        System.Collections.Concurrent.ConcurrentQueue<TraceEvent> collected, FirstFailure failures, CancellationToken ct)
    {
        var (node, technique, templates) = _nodes[index];
        using var activity = ComposeTelemetry.Source.StartActivity("compose.technique");
        activity?.SetTag("compose.node", node.Id);
        activity?.SetTag("compose.technique", node.Spec.Kind);
        activity?.SetTag("compose.candidates_in", input.Length);
        var context = new TechniqueContext(question, node, input, templates, Spec.Defaults, _models, options.Seed, options.Trace, (options.Budget ?? Spec.Budget).Prices)
        {
            FinalStream = stream,
            MeteredModels = MeteredModels,
            Capabilities = Capabilities,
            Collected = collected,
            Failures = failures,
        };
        ImmutableArray<Candidate> output;
        try
        {
            output = await technique.RunAsync(context, ct).ConfigureAwait(false);
        }
        catch (Exception exception) when (!IsExpected(exception) && exception is not OperationCanceledException and not OutOfMemoryException
            && TechniqueFailure.IsExternal(technique))
        {
            throw new TechniqueFailedException(
                $"technique '{node.Spec.Kind}' ({technique.GetType().FullName}) failed at node {node.Id}: {exception.GetType().Name}: {exception.Message}. This is a bug in the technique; please report it to its author.",
                exception);
        }

        activity?.SetTag("compose.candidates_out", output.Length);
        return output;
    }

    /// <summary>The node writes one new candidate in its one model call (generate with one sample of one model, fuse with one sample).</summary>
    private static bool AnswersInOneCall(GraphNode node, ImmutableHashSet<string> writers) =>
        node.Bound.Calls == 1 && node.MaxCandidatesOut == 1 && writers.Contains(node.Id);

    /// <summary>
    /// Why the run failed. The failures a run expects — a model call that failed for good, a question that failed
    /// (verify with on_none: fail), a template that failed, a nested pipeline that failed, the budget — are their
    /// own message; anything else is a bug and says so ("internal error"), so tests and users cannot mistake it
    /// for an ordinary failed run.
    /// </summary>
    internal static string Describe(Exception ex) => ex switch
    {
        AggregateException { InnerExceptions.Count: > 0 } a => Describe(a.InnerExceptions[0]),
        _ when IsExpected(ex) => ex.Message,
        _ => $"internal error ({ex.GetType().Name}): {ex.Message}. This is a bug in Compose (or in a host's chat client); please report it with the pipeline and the question.",
    };

    private static bool IsExpected(Exception ex) => ex is Compose.Models.ModelCallException or QuestionFailedException or PipelineRunException or TechniqueFailedException
        or Prompts.PromptRenderException or BudgetExceededException or DiagnosticException
        or HttpRequestException or IOException or TimeoutException or System.ClientModel.ClientResultException;

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
            FinishReason = FinishReason(result),
            Usage = UsageOf(result),
            AdditionalProperties = PropertiesOf(result),
        };
    }

    /// <summary>
    /// Streams the final answer. When <see cref="StreamsFinalLayer"/> is true, the final technique's
    /// single call streams its tokens through as the model writes them (earlier layers run first, as
    /// usual); otherwise the pipeline runs to the end and the answer comes as updates. The last update
    /// carries the whole run's usage (a <see cref="UsageContent"/>) and the finish reason; the inner
    /// call's own usage updates are not passed through, so the usage is counted once.
    /// </summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!StreamsFinalLayer)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            foreach (var update in response.ToChatResponseUpdates())
            {
                yield return update;
            }

            yield break;
        }

        var question = Question.FromMessages(messages);
        var channel = Channel.CreateUnbounded<ChatResponseUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = RunStreamingAsync(question, ToRunOptions(options), channel.Writer, stop.Token);
        var responseId = Guid.NewGuid().ToString("N");
        var streamedText = false;
        try
        {
            await foreach (var update in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var contents = update.Contents.Where(c => c is not UsageContent).ToList();
                if (contents.Count == 0)
                {
                    continue;
                }

                streamedText |= contents.OfType<TextContent>().Any(t => t.Text.Length > 0);
                yield return new ChatResponseUpdate(ChatRole.Assistant, contents)
                {
                    ModelId = Spec.Name,
                    ResponseId = responseId,
                    MessageId = responseId,
                    CreatedAt = update.CreatedAt,
                };
            }
        }
        finally
        {
            if (!run.IsCompleted)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await run.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The consumer stopped reading: the run was cancelled on its behalf.
                }
            }
        }

        var result = await run.ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new PipelineRunException(Spec.Name, result);
        }

        var last = new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(UsageOf(result))])
        {
            ModelId = Spec.Name,
            ResponseId = responseId,
            MessageId = responseId,
            FinishReason = FinishReason(result),
            AdditionalProperties = PropertiesOf(result),
        };
        if (!streamedText)
        {
            // The final call did not run (the budget stopped the run earlier): the answer is the best so far.
            last.Contents.Insert(0, new TextContent(result.Answer));
        }

        yield return last;
    }

    private async Task<RunResult> RunStreamingAsync(Question question, RunOptions options, ChannelWriter<ChatResponseUpdate> stream, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            var result = await RunCoreAsync(question, options, stream, cancellationToken).ConfigureAwait(false);
            stream.TryComplete();
            return result;
        }
        catch (Exception ex)
        {
            stream.TryComplete(ex);
            throw;
        }
    }

    private static ChatFinishReason FinishReason(RunResult result) => result.BudgetExhausted ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails UsageOf(RunResult result) => new()
    {
        InputTokenCount = result.Usage.InputTokens,
        OutputTokenCount = result.Usage.OutputTokens,
        TotalTokenCount = result.Usage.TotalTokens,
    };

    private static AdditionalPropertiesDictionary PropertiesOf(RunResult result) => new()
    {
        [ComposeKeys.Calls] = result.Usage.Calls,
        [ComposeKeys.BudgetExhausted] = result.BudgetExhausted,
        [ComposeKeys.Candidates] = result.AllCandidates.Length,
    };

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
        var run = new RunOptions { Seed = ComposeKeys.SeedOf(options) ?? 0 };
        return ComposeKeys.MaxCallsOf(options?.AdditionalProperties) is { } calls
            ? run with { Budget = new BudgetSpec { MaxCalls = calls } }
            : run;
    }
}

/// <summary>A pipeline used as a chat client could not answer.</summary>
public sealed class PipelineRunException(string pipeline, RunResult result)
    : Exception($"pipeline '{pipeline}' produced no answer: {result.Error}")
{
    public RunResult Result { get; } = result;
}

/// <summary>A technique from outside Compose threw what no technique should (its bug, not Compose's): the run fails naming it.</summary>
internal sealed class TechniqueFailedException(string message, Exception inner) : Exception(message, inner);
