using Compose.Models;
using Compose.Runtime;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Compose.Onnx.Chat;
using Compose.Onnx.Generation;
using Microsoft.Extensions.AI;

namespace Compose.Onnx;

/// <summary>
/// An <see cref="IChatClient"/> over a loaded <see cref="OnnxModel"/>. Honours Temperature, TopP, TopK,
/// MaxOutputTokens, StopSequences and Seed; reports usage and finish reason; puts the per-token
/// log-probabilities (<c>logprobs</c>, double[]) and their sum (<c>logprob_sum</c>) in AdditionalProperties.
/// Continues a partial answer by the <see cref="ChatContinuation"/> convention (a trailing assistant message and
/// <see cref="ChatContinuation.ContinueKey"/>): the prompt leaves that message open and the reply holds only the new
/// text. Every reply says why it ended in <see cref="ChatContinuation.StoppedByKey"/>: the stop sequence, <c>""</c>
/// for the end of the model's turn, absent when the token limit or the context cut it.
/// Disposing the client does not dispose the model (the provider shares it).
/// </summary>
public sealed class OnnxChatClient : IChatClient
{
    public const string LogProbsKey = ComposeKeys.LogProbs;
    public const string LogProbSumKey = ComposeKeys.LogProbSum;

    private readonly ChatClientMetadata _metadata;
    private readonly ImmutableArray<int> _stopTokenIds;

    public OnnxChatClient(IOnnxEngine model, ChatFormat? chatFormat = null, string? modelId = null)
    {
        Model = model;
        ChatFormat = chatFormat ?? model.ChatFormat;
        _stopTokenIds = model.StopTokenIdsFor(ChatFormat);
        _metadata = new ChatClientMetadata("onnx", new Uri(model.Folder + Path.DirectorySeparatorChar), modelId ?? Path.GetFileName(model.Folder));
    }

    /// <summary>The engine that generates: <see cref="OnnxModel"/> (compose) or <see cref="GenAi.GenAiModel"/> (genai).</summary>
    public IOnnxEngine Model { get; }

    public ChatFormat ChatFormat { get; }

    /// <summary>The prompt text a conversation becomes.</summary>
    public string RenderPrompt(IEnumerable<ChatMessage> messages) => RenderPrompt(messages, null);

    /// <summary>
    /// The prompt text a request becomes: with <paramref name="options"/> asking for a continuation
    /// (<see cref="ChatContinuation.IsRequested"/>), the conversation without its last (assistant) message, the
    /// assistant's turn opened, and that message's text verbatim after it; otherwise <see cref="ChatFormat.Render"/>.
    /// </summary>
    public string RenderPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        return ChatContinuation.PartialAnswer(list, options) is { } partial
            ? ChatFormat.RenderContinuation(list.Take(list.Count - 1), partial)
            : ChatFormat.Render(list);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (request, text) = Prepare(messages, options);
        var result = await Model.GenerateAsync(request, cancellationToken).ConfigureAwait(false);
        text.Complete();
        var message = new ChatMessage(ChatRole.Assistant, text.Text);
        var extras = Extras(result, text);
        if (TokenLogProbabilities.Requested(options) is not null)
        {
            extras[TokenLogProbabilities.TokensKey] = Tokens(result.Tokens, result.LogProbs, result.Top, 0, result.Tokens.Count);
        }

        return new ChatResponse(message)
        {
            ModelId = _metadata.DefaultModelId,
            FinishReason = FinishReason(result, text),
            Usage = Usage(result),
            AdditionalProperties = extras,
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (request, text) = Prepare(messages, options);
        var channel = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var inner = request.Observer!;
        var withTokens = TokenLogProbabilities.Requested(options) is not null;

        // On the generation thread: the tokens since the last chunk, their log-probabilities and alternatives.
        var (ids, lps, tops) = (new List<int>(), new List<double>(), new List<IReadOnlyList<TokenChoice>>());
        var generated = 0;
        var sent = 0;
        request = request with
        {
            TopObserver = withTokens ? tops.Add : null,
            Observer = (token, lp) =>
            {
                var go = inner(token, lp);
                generated++;
                ids.Add(token);
                lps.Add(lp);
                var chunk = text.TakeChunk();
                if (chunk.Length > 0)
                {
                    var tokens = withTokens ? Tokens(ids, lps, tops, sent, ids.Count) : [];
                    sent = ids.Count;
                    channel.Writer.TryWrite(new Chunk(chunk, tokens, generated));
                }

                return go;
            },
        };

        // Cancelled when the caller stops reading early, so the sequence leaves the batch instead of running on.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var generation = Model.GenerateAsync(request, stop.Token);
        _ = generation.ContinueWith(_ => channel.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var id = Guid.NewGuid().ToString("N");
        var promptTokens = (long)request.PromptIds.Count;
        GenerationResult result;
        try
        {
            await foreach (var chunk in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var extras = new AdditionalPropertiesDictionary
                {
                    [TokenLogProbabilities.OutputTokensKey] = (long)chunk.Generated,
                    [TokenLogProbabilities.InputTokensKey] = promptTokens,
                };
                if (!chunk.Tokens.IsEmpty)
                {
                    extras[TokenLogProbabilities.TokensKey] = chunk.Tokens;
                }

                yield return new ChatResponseUpdate(ChatRole.Assistant, chunk.Text)
                {
                    ResponseId = id,
                    MessageId = id,
                    ModelId = _metadata.DefaultModelId,
                    AdditionalProperties = extras,
                };
            }

            result = await generation.ConfigureAwait(false);
        }
        finally
        {
            if (!generation.IsCompleted)
            {
                // Stopped part way: the sequence leaves the batch at its next token, and the receipt says what it generated.
                await stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await generation.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            StreamReceipt.Of(options)?.Fill(promptTokens, Volatile.Read(ref generated));
        }

        text.Complete();
        var rest = text.TakeChunk();
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new TextContent(rest), new UsageContent(Usage(result))])
        {
            ResponseId = id,
            MessageId = id,
            ModelId = _metadata.DefaultModelId,
            FinishReason = FinishReason(result, text),
            AdditionalProperties = Final(result, text, withTokens ? Tokens(result.Tokens, result.LogProbs, result.Top, sent, result.Tokens.Count) : []),
        };
    }

    /// <summary>One streamed piece of text, the tokens it completes, and the output tokens generated so far.</summary>
    private sealed record Chunk(string Text, ImmutableArray<TokenLogProbability> Tokens, int Generated);

    private static AdditionalPropertiesDictionary Final(GenerationResult result, ReplyTextBuilder text, ImmutableArray<TokenLogProbability> rest)
    {
        var extras = Extras(result, text);
        extras[TokenLogProbabilities.OutputTokensKey] = (long)result.Tokens.Count;
        if (!rest.IsEmpty)
        {
            extras[TokenLogProbabilities.TokensKey] = rest;
        }

        return extras;
    }

    /// <summary>Tokens <paramref name="from"/>..<paramref name="to"/> as <see cref="TokenLogProbability"/>, their alternatives decoded.</summary>
    private ImmutableArray<TokenLogProbability> Tokens(IReadOnlyList<int> ids, IReadOnlyList<double> lps, IReadOnlyList<IReadOnlyList<TokenChoice>> top, int from, int to)
    {
        var tokens = ImmutableArray.CreateBuilder<TokenLogProbability>(Math.Max(0, to - from));
        for (var i = from; i < to; i++)
        {
            var alternatives = i < top.Count
                ? top[i].Select(c => new TokenAlternative(Model.Tokenizer.Decode([c.Id]), c.LogProb)).ToImmutableArray()
                : [];
            tokens.Add(new TokenLogProbability(Model.Tokenizer.Decode([ids[i]]), lps[i], alternatives));
        }

        return tokens.ToImmutable();
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(Model) ? Model
        : null;

    public void Dispose()
    {
        // The model belongs to whoever loaded it (usually the provider's cache).
    }

    private (GenerationRequest Request, ReplyTextBuilder Text) Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var prompt = Model.Tokenizer.Encode(RenderPrompt(messages, options));
        var search = Model.Config.Search;
        var temperature = options?.Temperature ?? (search.DoSample ? search.Temperature ?? 1f : 0f);
        var sampling = new SamplingSettings
        {
            Temperature = temperature,
            TopK = options?.TopK ?? (search.DoSample ? search.TopK ?? 0 : 0),
            TopP = options?.TopP ?? (search.DoSample ? search.TopP ?? 1f : 1f),
            Seed = options?.Seed,
        };
        var room = Math.Max(1, Model.Config.ContextLength - prompt.Count - 1);
        var max = options?.MaxOutputTokens ?? Math.Min(room, search.MaxLength is { } ml && ml > prompt.Count ? ml - prompt.Count : 1024);
        var text = new ReplyTextBuilder(Model.Tokenizer.CreateDecoder(), options?.StopSequences?.ToArray() ?? []);
        var request = new GenerationRequest
        {
            PromptIds = prompt,
            MaxNewTokens = Math.Max(1, max),
            Sampling = sampling,
            StopTokenIds = _stopTokenIds,
            Observer = (token, _) => text.Add(token),
            TopLogProbs = TokenLogProbabilities.Requested(options) ?? 0,
        };
        return (Constrain(request, ChatConstraint.Of(options)), text);
    }

    /// <summary>
    /// Applies a reply constraint: a choice set becomes token sequences the compose engine masks the logits to
    /// (each choice as the tokenizer encodes it at the start of the reply); a pattern or a JSON schema, and every
    /// constraint on the genai engine, goes to the engine's guidance. An engine that cannot honour it refuses.
    /// </summary>
    private GenerationRequest Constrain(GenerationRequest request, OutputConstraint? constraint)
    {
        if (constraint is null)
        {
            return request;
        }

        if (constraint.Kind == OutputConstraintKind.Choice && !Model.Features.HasFlag(EngineFeatures.Grammar))
        {
            ImmutableArray<ImmutableArray<int>> choices = [.. constraint.Choices.Select(c => Model.Tokenizer.Encode(c).ToImmutableArray()).Where(c => !c.IsEmpty)];
            return request with { Choices = choices, MaxNewTokens = Math.Max(request.MaxNewTokens, choices.Max(c => c.Length)) };
        }

        return request with { Guidance = constraint };
    }

    private static ChatFinishReason FinishReason(GenerationResult result, ReplyTextBuilder text) =>
        result.FinishReason is GenerationFinishReason.MaxTokens or GenerationFinishReason.ContextFull && !text.Stopped
            ? ChatFinishReason.Length
            : ChatFinishReason.Stop;

    private static UsageDetails Usage(GenerationResult result) => new()
    {
        InputTokenCount = result.PromptTokens,
        OutputTokenCount = result.Tokens.Count,
        TotalTokenCount = result.PromptTokens + result.Tokens.Count,
    };

    private static AdditionalPropertiesDictionary Extras(GenerationResult result, ReplyTextBuilder text)
    {
        var extras = new AdditionalPropertiesDictionary
        {
            [LogProbsKey] = result.LogProbs.ToArray(),
            [LogProbSumKey] = result.LogProbSum,
        };
        if (StoppedBy(result, text) is { } stoppedBy)
        {
            extras[ChatContinuation.StoppedByKey] = stoppedBy;
        }

        return extras;
    }

    /// <summary>The stop sequence that ended the reply, "" for the end of the model's turn, null when the limit cut it.</summary>
    private static string? StoppedBy(GenerationResult result, ReplyTextBuilder text) =>
        text.Stopped ? text.StopSequence ?? ""
        : result.FinishReason == GenerationFinishReason.EndOfSequence ? ""
        : null;
}
