using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Microsoft.Extensions.AI;
using Scriban.Runtime;

namespace Compose.Runtime;

/// <summary>
/// Everything one technique node sees while answering one question: the question, its input
/// candidates, its templates, and <c>CallAsync</c>, the only way it reaches a model
/// (seeds, options, tracing and usage are handled there).
/// </summary>
public sealed class TechniqueContext
{
    private readonly IReadOnlyDictionary<string, IChatClient> _models;
    private readonly ITraceSink _trace;
    private readonly ImmutableDictionary<string, ModelPrice> _prices;
    private SeedPrefix? _ownSeeds;
    private System.Collections.Concurrent.ConcurrentDictionary<string, SeedPrefix>? _otherSeeds;

    internal TechniqueContext(
        Question question,
        GraphNode node,
        ImmutableArray<Candidate> input,
        ImmutableDictionary<string, PromptTemplate> templates,
        GenerationDefaults defaults,
        IReadOnlyDictionary<string, IChatClient> models,
        long runSeed,
        ITraceSink trace,
        ImmutableDictionary<string, ModelPrice> prices)
    {
        Question = question;
        Node = node;
        Input = input;
        Templates = templates;
        Defaults = defaults;
        _models = models;
        RunSeed = runSeed;
        _trace = trace;
        _prices = prices;
    }

    public Question Question { get; }

    /// <summary>Where a call that fails for good is recorded; the first one cancels the question's other calls.</summary>
    internal FirstFailure? Failures { get; init; }

    /// <summary>The models whose stack meters usage against the question's budget (every model but a nested pipeline).</summary>
    internal IReadOnlySet<string> MeteredModels { get; init; } = System.Collections.Frozen.FrozenSet<string>.Empty;

    /// <summary>What each model offers beyond plain chat, as its provider declares it.</summary>
    internal IReadOnlyDictionary<string, Compose.Models.ModelCapabilities> Capabilities { get; init; } =
        System.Collections.Frozen.FrozenDictionary<string, Compose.Models.ModelCapabilities>.Empty;

    /// <summary>What <paramref name="model"/> offers beyond plain chat (log-probabilities, continuation), as its provider declares it.</summary>
    public Compose.Models.ModelCapabilities CapabilitiesOf(string model) =>
        Capabilities.TryGetValue(model, out var offered) ? offered : Compose.Models.ModelCapabilities.None;

    /// <summary>Where events that belong in the run's result (a vote's tally) are collected, besides the trace.</summary>
    internal System.Collections.Concurrent.ConcurrentQueue<TraceEvent>? Collected { get; init; }

    /// <summary>Reports an event of this node: written to the trace and kept for the run's result.</summary>
    public void Report(TraceEvent traceEvent)
    {
        _trace.Write(traceEvent);
        Collected?.Enqueue(traceEvent);
    }

    public GraphNode Node { get; }

    public string NodeId => Node.Id;

    public ImmutableArray<Candidate> Input { get; }

    public ImmutableDictionary<string, PromptTemplate> Templates { get; }

    public GenerationDefaults Defaults { get; }

    public long RunSeed { get; }

    /// <summary>
    /// When set, this node's own model call (purpose = the technique's kind) streams: each update is
    /// written here as it arrives, and the reply is assembled from the updates. Set by
    /// <see cref="RunnablePipeline"/> only for a final layer that makes exactly one such call.
    /// </summary>
    internal ChannelWriter<ChatResponseUpdate>? FinalStream { get; init; }

    /// <summary>The model this node calls (its first resolved model).</summary>
    public string Model => Node.ResolvedModels.Length > 0 ? Node.ResolvedModels[0] : "default";

    public double Temperature => Node.Spec.Temperature ?? Defaults.Temperature;

    public int MaxTokens => Node.Spec.MaxTokens ?? Defaults.MaxTokens;

    /// <summary>Renders a template of this node with <paramref name="data"/>.</summary>
    public string Render(string template, ScriptObject data) => Templates[template].Render(data);

    /// <summary>A template model with the question set.</summary>
    public ScriptObject NewPromptModel() => PromptModels.ForQuestion(Question.Text);

    /// <summary>
    /// Calls <paramref name="model"/> with <paramref name="prompt"/> as the user message. The call's
    /// seed is derived from (run seed, question, node, <paramref name="sample"/>); a <paramref name="purpose"/>
    /// distinguishes calls of one node (e.g. <c>critique</c> and <c>revise</c>) in traces and seeds.
    /// </summary>
    public Task<ModelReply> CallAsync(
        string model,
        string purpose,
        int sample,
        string prompt,
        CancellationToken cancellationToken,
        double? temperature = null,
        bool withHistory = false) =>
        CallAsync(model, purpose, sample, prompt, (temperature, withHistory) switch
        {
            (null, false) => CallShape.Plain,
            (null, true) => CallShape.History,
            _ => new CallShape { Temperature = temperature, WithHistory = withHistory },
        }, cancellationToken);

    /// <summary>
    /// Calls <paramref name="model"/> with <paramref name="prompt"/> as the user message, shaped by <paramref name="shape"/>:
    /// a partial answer to continue (<see cref="Compose.Models.ChatContinuation"/>), stop sequences, a token limit, a
    /// temperature. Seeds, tracing and usage as in the plain overload.
    /// </summary>
    public async Task<ModelReply> CallAsync(string model, string purpose, int sample, string prompt, CallShape shape, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var (client, messages, options, seed) = Prepare(model, purpose, sample, prompt, shape);
        var started = Stopwatch.GetTimestamp();
        var meter = CallMeter.Start();
        ChatResponse response;
        try
        {
            response = FinalStream is { } stream && purpose == Node.Spec.Kind
                ? await StreamAsync(client, messages, options, stream, cancellationToken).ConfigureAwait(false)
                : await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Failed(ex, model, purpose, sample, seed, messages, started);
        }

        return Replied(response, model, purpose, sample, seed, messages, started, meter, shape);
    }

    /// <summary>
    /// Calls <paramref name="model"/> like <see cref="CallAsync(string, string, int, string, CallShape, CancellationToken)"/>,
    /// streaming the reply so that it can be stopped part way: when <paramref name="stop"/> is cancelled (the technique
    /// no longer needs the reply), or when <paramref name="keepGoing"/> returns false for a token as it arrives (ask for
    /// tokens with <see cref="CallShape.TopLogProbs"/>), the call ends at once and the reply holds what was generated,
    /// with <see cref="ModelReply.Stopped"/> set; it is billed only for the tokens it produced. A cancelled
    /// <paramref name="cancellationToken"/> (the question's) throws as usual.
    /// </summary>
    public async Task<ModelReply> SampleAsync(
        string model,
        string purpose,
        int sample,
        string prompt,
        CallShape shape,
        Func<Compose.Models.TokenLogProbability, bool>? keepGoing,
        CancellationToken stop,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var (client, messages, options, seed) = Prepare(model, purpose, sample, prompt, shape);
        var started = Stopwatch.GetTimestamp();
        var meter = CallMeter.Start();
        var updates = new List<ChatResponseUpdate>();
        var tokens = ImmutableArray.CreateBuilder<Compose.Models.TokenLogProbability>();
        string? stopped = null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        try
        {
            if (stop.IsCancellationRequested)
            {
                stopped = ModelReply.StoppedByCaller;
            }
            else
            {
                await foreach (var update in client.GetStreamingResponseAsync(messages, options, linked.Token).ConfigureAwait(false))
                {
                    updates.Add(update);
                    var arrived = Compose.Models.TokenLogProbabilities.Of(update.AdditionalProperties);
                    tokens.AddRange(arrived);
                    if (keepGoing is not null && arrived.Any(t => !keepGoing(t)))
                    {
                        stopped = ModelReply.StoppedByMonitor;
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            stopped = ModelReply.StoppedByCaller;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Failed(ex, model, purpose, sample, seed, messages, started);
        }

        var response = updates.ToChatResponse();
        if (tokens.Count > 0)
        {
            // Each update carried its own tokens; the reply holds them all.
            response.AdditionalProperties ??= [];
            response.AdditionalProperties[Compose.Models.TokenLogProbabilities.TokensKey] = tokens.ToImmutable();
        }

        if (stopped is null)
        {
            return Replied(response, model, purpose, sample, seed, messages, started, meter, shape);
        }

        // Stopped part way: what the budget billed (nothing when the call never started), the text and tokens so far.
        var usage = meter.Metered ?? Usage.Zero;
        var text = response.Text;
        var partial = tokens.ToImmutable();
        if (_trace is not NullTraceSink)
        {
            _trace.Write(new ModelCalled(NodeId, purpose, model, sample, seed, ToTrace(messages), text, usage.InputTokens, usage.OutputTokens,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, null)
            { QuestionId = Question.Id, Stopped = stopped });
        }

        return new ModelReply(text, usage, partial.IsEmpty ? null : partial.Sum(t => t.LogProbability), model)
        {
            Tokens = partial,
            Stopped = stopped,
            Truncated = true,
        };
    }

    private (IChatClient Client, List<ChatMessage> Messages, ChatOptions Options, long Seed) Prepare(string model, string purpose, int sample, string prompt, CallShape shape)
    {
        var (temperature, withHistory) = (shape.Temperature, shape.WithHistory);
        var client = _models[model];
        var messages = new List<ChatMessage>(4);
        if (Defaults.System is { } system)
        {
            messages.Add(new ChatMessage(ChatRole.System, system));
        }

        if (withHistory)
        {
            messages.AddRange(Question.History);
        }

        messages.Add(new ChatMessage(ChatRole.User, prompt));
        if (shape.Continuing is { } partial)
        {
            messages.Add(new ChatMessage(ChatRole.Assistant, partial));
        }

        var seed = Prefix(purpose).Seed(sample);
        var options = new ChatOptions
        {
            Temperature = (float)(temperature ?? Temperature),
            MaxOutputTokens = shape.MaxTokens ?? MaxTokens,
            Seed = seed,
            TopP = Defaults.TopP is { } p ? (float)p : null,
            StopSequences = shape.Stop is { Count: > 0 } stop ? [.. stop] : Defaults.Stop.IsDefaultOrEmpty ? null : [.. Defaults.Stop],
        };
        if (shape.Continuing is not null)
        {
            Compose.Models.ChatContinuation.Continue(options);
        }

        if (shape.Constraint is { } constraint)
        {
            Compose.Models.ChatConstraint.Constrain(options, constraint);
        }

        if (shape.TopLogProbs is { } top)
        {
            Compose.Models.TokenLogProbabilities.Request(options, top);
        }

        return (client, messages, options, seed);
    }

    private Exception Failed(Exception ex, string model, string purpose, int sample, long seed, List<ChatMessage> messages, long started)
    {
        _trace.Write(new ModelCalled(NodeId, purpose, model, sample, seed, ToTrace(messages), null, 0, 0,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.Message)
        { QuestionId = Question.Id });
        var failure = ex is Language.DiagnosticException { Diagnostics.Count: > 0 } refused ? Named(refused, model, purpose) : ex;
        if (failure is not BudgetExceededException)
        {
            Failures?.Record(failure);
        }

        if (ReferenceEquals(failure, ex))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex).Throw();
        }

        return failure;
    }

    private ModelReply Replied(ChatResponse response, string model, string purpose, int sample, long seed, List<ChatMessage> messages, long started, CallMeter meter, CallShape shape)
    {
        // Usage as the budget metered it; a metered model that was never reached answered from an outer cache (nothing
        // spent); a model without the middleware (a nested pipeline meters its own calls) reports its own usage.
        var cached = meter.Metered is null && MeteredModels.Contains(model);
        var usage = meter.Metered ?? (cached ? Usage.Zero : Reported(model, response));

        var text = response.Text;
        double? logprob = response.AdditionalProperties?.TryGetValue(ComposeKeys.LogProbSum, out var lp) == true ? lp switch
        {
            double d => d,
            float f => f,
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e => e.GetDouble(), // from a response cache
            _ => null,
        } : null;
        var tokens = shape.TopLogProbs is null ? [] : Compose.Models.TokenLogProbabilities.Of(response.AdditionalProperties);
        if (logprob is null && !tokens.IsEmpty)
        {
            logprob = tokens.Sum(t => t.LogProbability);
        }

        if (_trace is not NullTraceSink)
        {
            _trace.Write(new ModelCalled(NodeId, purpose, model, sample, seed, ToTrace(messages), text, usage.InputTokens, usage.OutputTokens,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, null)
            { QuestionId = Question.Id, Cached = cached ? true : null });
        }

        return new ModelReply(text, usage, logprob, model)
        {
            StoppedBy = response.AdditionalProperties?.TryGetValue(Compose.Models.ChatContinuation.StoppedByKey, out var by) == true ? by switch
            {
                string s => s,
                System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } e => e.GetString(), // from a response cache
                _ => null,
            } : null,
            Truncated = response.FinishReason == ChatFinishReason.Length,
            Tokens = tokens,
        };
    }

    /// <summary>
    /// The seeds of <paramref name="purpose"/>'s calls (node key: the node for its own kind, else
    /// <c>node/purpose</c>), computed once per purpose: the node's own in a field, others in a dictionary.
    /// A race builds equal prefixes, so either one may be kept.
    /// </summary>
    private SeedPrefix Prefix(string purpose)
    {
        if (purpose == Node.Spec.Kind)
        {
            return _ownSeeds ??= new SeedPrefix(RunSeed, Question.Text, NodeId);
        }

        var others = _otherSeeds ?? Interlocked.CompareExchange(ref _otherSeeds, new(StringComparer.Ordinal), null) ?? _otherSeeds;
        return others.TryGetValue(purpose, out var prefix)
            ? prefix
            : others.GetOrAdd(purpose, static (key, context) => new SeedPrefix(context.RunSeed, context.Question.Text, $"{context.NodeId}/{key}"), this);
    }

    private Usage Reported(string model, ChatResponse response)
    {
        var input = response.Usage?.InputTokenCount ?? 0;
        var output = response.Usage?.OutputTokenCount ?? 0;
        return new Usage(1, input, output, _prices.TryGetValue(model, out var price) ? price.Cost(input, output) : 0m);
    }

    /// <summary>
    /// A model that refused the call for a reason of its own (a prompt longer than its context, ...): the failure
    /// says where in the pipeline, which technique and which model, then the model's own diagnostic.
    /// </summary>
    private Compose.Models.ModelCallException Named(Language.DiagnosticException refused, string model, string purpose)
    {
        var first = refused.Diagnostics[0];
        var where = Node.Spec.Location.IsNone ? "" : $"{Node.Spec.Location}: ";
        return new Compose.Models.ModelCallException(model, null, 1,
            $"{where}'{Node.Spec.Kind}' ({NodeId}, {purpose}) calling model '{model}': error {first.Code}: {first.Message}{(first.Hint is null ? "" : $" ({first.Hint})")}", refused);
    }

    private static async Task<ChatResponse> StreamAsync(
        IChatClient client, List<ChatMessage> messages, ChatOptions options, ChannelWriter<ChatResponseUpdate> stream, CancellationToken cancellationToken)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            await stream.WriteAsync(update, cancellationToken).ConfigureAwait(false);
        }

        return updates.ToChatResponse();
    }

    private static List<TraceMessage> ToTrace(List<ChatMessage> messages) =>
        messages.ConvertAll(m => new TraceMessage(m.Role.Value, m.Text));
}

/// <summary>How a technique's model call is shaped beyond its prompt; every part optional.</summary>
public sealed record CallShape
{
    /// <summary>A call shaped by nothing but the node's settings.</summary>
    public static CallShape Plain { get; } = new();

    /// <summary>A plain call with the question's conversation history.</summary>
    public static CallShape History { get; } = new() { WithHistory = true };

    /// <summary>The temperature; null for the node's.</summary>
    public double? Temperature { get; init; }

    /// <summary>Put the question's conversation history before the prompt.</summary>
    public bool WithHistory { get; init; }

    /// <summary>A partial answer the model continues (it must offer continuation); the reply holds only the new text.</summary>
    public string? Continuing { get; init; }

    /// <summary>Stop sequences, replacing the pipeline's <c>defaults.stop</c>; null or empty for those.</summary>
    public IReadOnlyList<string>? Stop { get; init; }

    /// <summary>The most tokens the reply may have; null for the node's <c>max_tokens</c>.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>A form the reply must take, enforced while decoding (<see cref="Compose.Models.ChatConstraint"/>); null for none.</summary>
    public Compose.Models.OutputConstraint? Constraint { get; init; }

    /// <summary>
    /// Ask for each generated token's log-probability with this many top alternatives (0..20; see
    /// <see cref="Compose.Models.TokenLogProbabilities"/>); null asks for none. The reply's <see cref="ModelReply.Tokens"/> holds them.
    /// </summary>
    public int? TopLogProbs { get; init; }
}
