using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Compose.Models.Middleware;

/// <summary>
/// Retries model calls that may succeed on another attempt (HTTP 408, 429, 500, 502, 503, 504, per-attempt
/// timeouts, network errors) with exponential backoff and jitter, honouring the server's <c>Retry-After</c>
/// (capped at <see cref="RetryOptions.MaxDelay"/>). Never retries other 4xx statuses or a call the caller
/// cancelled. A stream is retried only until its first update arrived. A call that fails for good ends in a
/// <see cref="ModelCallException"/> whose message names the model and its endpoint and says what to do. Logs each retry without secrets.
/// </summary>
public sealed partial class RetryingChatClient : DelegatingChatClient
{
    private readonly RetryOptions _options;
    private readonly string _modelName;
    private readonly string? _endpoint;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _pipeline;
    private readonly ResiliencePipeline _streamingPipeline;

    /// <param name="innerClient">The client that makes one attempt.</param>
    /// <param name="options">How often and how long to retry.</param>
    /// <param name="modelName">The model's name in messages and logs (default: the inner client's model id).</param>
    /// <param name="logger">Where retries are logged.</param>
    /// <param name="timeProvider">The clock for backoff delays and timeouts (tests may replace it).</param>
    public RetryingChatClient(
        IChatClient innerClient,
        RetryOptions options,
        string? modelName = null,
        ILogger? logger = null,
        TimeProvider? timeProvider = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        _options = options;
        var metadata = innerClient.GetService<ChatClientMetadata>();
        _modelName = modelName ?? metadata?.DefaultModelId ?? "model";
        _endpoint = metadata?.ProviderUri is { } uri ? UpstreamText.Endpoint(uri) : null;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _pipeline = BuildPipeline(withTimeout: true);
        _streamingPipeline = BuildPipeline(withTimeout: false);
    }

    public RetryOptions Options => _options;

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = Materialize(messages);
        var attempts = 0;
        try
        {
            return await _pipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    return await base.GetResponseAsync(list, options, ct).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ModelCallFailure.IsCallFailure(ex, cancellationToken))
        {
            throw ModelCallFailure.ToException(_modelName, ex, attempts, _options, endpoint: _endpoint);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = Materialize(messages);
        var attempts = 0;
        StreamStart start;
        try
        {
            start = await _streamingPipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    return await StartStreamAsync(list, options, ct).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ModelCallFailure.IsCallFailure(ex, cancellationToken))
        {
            throw ModelCallFailure.ToException(_modelName, ex, attempts, _options, endpoint: _endpoint);
        }

        await using (start.ConfigureAwait(false))
        {
            var hasUpdate = start.HasFirst;
            while (hasUpdate)
            {
                yield return start.Updates.Current;
                try
                {
                    hasUpdate = await start.Updates.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ModelCallFailure.IsCallFailure(ex, cancellationToken))
                {
                    throw ModelCallFailure.ToException(_modelName, ex, attempts, _options, midStream: true, endpoint: _endpoint);
                }
            }
        }
    }

    private static IList<ChatMessage> Materialize(IEnumerable<ChatMessage> messages) =>
        messages as IList<ChatMessage> ?? [.. messages];

    /// <summary>One streaming attempt: opens the stream and waits for its first update within the attempt timeout.</summary>
    private async ValueTask<StreamStart> StartStreamAsync(IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;
        try
        {
            if (HasTimeout)
            {
                attempt.CancelAfter(_options.Timeout);
            }

            updates = base.GetStreamingResponseAsync(messages, options, attempt.Token).GetAsyncEnumerator(attempt.Token);
            var hasFirst = await updates.MoveNextAsync().ConfigureAwait(false);

            // The timeout bounds the wait for the first update; after it the stream runs as long as it needs.
            attempt.CancelAfter(Timeout.InfiniteTimeSpan);
            return new StreamStart(updates, attempt, hasFirst);
        }
        catch (Exception ex)
        {
            if (updates is not null)
            {
                await updates.DisposeAsync().ConfigureAwait(false);
            }

            var timedOut = attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            attempt.Dispose();
            if (timedOut && ex is OperationCanceledException)
            {
                throw new TimeoutRejectedException($"The attempt did not start streaming within {_options.Timeout}.", _options.Timeout, ex);
            }

            throw;
        }
    }

    private bool HasTimeout => _options.Timeout > TimeSpan.Zero && _options.Timeout != Timeout.InfiniteTimeSpan;

    private ResiliencePipeline BuildPipeline(bool withTimeout)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (_options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.BaseDelay,
                MaxDelay = _options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && ModelCallFailure.IsTransient(ex, args.Context.CancellationToken)),
                DelayGenerator = args =>
                {
                    var retryAfter = ModelCallFailure.GetRetryAfter(args.Outcome.Exception, _time);
                    return ValueTask.FromResult(retryAfter is { } wait ? (TimeSpan?)(wait > _options.MaxDelay ? _options.MaxDelay : wait) : null);
                },
                OnRetry = args =>
                {
                    var failure = args.Outcome.Exception;
                    LogRetry(
                        _logger,
                        _modelName,
                        args.AttemptNumber + 1,
                        _options.MaxAttempts,
                        failure is null ? null : ModelCallFailure.GetStatus(failure),
                        failure is null ? "unknown" : ModelCallFailure.Describe(failure),
                        (long)args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        if (withTimeout && HasTimeout)
        {
            builder.AddTimeout(_options.Timeout);
        }

        return builder.Build();
    }

    [LoggerMessage(
        EventId = 3500,
        Level = LogLevel.Warning,
        Message = "{Model}: attempt {Attempt} of {MaxAttempts} failed ({Failure}, status {Status}); retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, string model, int attempt, int maxAttempts, int? status, string failure, long delayMs);

    /// <summary>An opened stream, its first update read, and the token source that must live as long as it.</summary>
    private sealed record StreamStart(IAsyncEnumerator<ChatResponseUpdate> Updates, CancellationTokenSource Cancellation, bool HasFirst)
        : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Updates.DisposeAsync().ConfigureAwait(false);
            Cancellation.Dispose();
        }
    }
}
