using System.Collections.Concurrent;
using Compose.Language;
using Orleans.Runtime;

namespace Compose.Cluster;

/// <summary>
/// Sends items to silos: each to the active silo with the fewest items in flight from here; an item whose silo is
/// lost (killed, unreachable, declared dead) goes to another silo, so every item completes exactly once from the
/// caller's view. Model calls an item made before its silo was lost are in the shared response cache and are not
/// paid again when it runs elsewhere. A silo that leaves the active set while items wait on it (killed: its calls
/// would otherwise wait out the response timeout) has those items sent elsewhere at once: a watch polls the
/// membership every second while items are in flight.
/// </summary>
public sealed class ClusterDispatcher(IClusterClient client) : IDisposable
{
    /// <summary>Silos an item is tried on before the evaluation stops.</summary>
    public const int MaxAttempts = 8;

    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DownFor = TimeSpan.FromSeconds(15);

    private readonly Lock _gate = new();
    private readonly Dictionary<SiloAddress, int> _inFlight = [];
    private readonly Dictionary<SiloAddress, long> _down = [];
    private readonly ConcurrentDictionary<string, int> _answered = new(StringComparer.Ordinal);
    private SiloAddress[] _silos = [];
    private readonly Dictionary<SiloAddress, CancellationTokenSource> _lost = [];
    private readonly CancellationTokenSource _closed = new();
    private TaskCompletionSource _nextLoss = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long? _refreshed;
    private int _moved;
    private int _pending;
    private Task? _watch;

    /// <summary>Items answered per silo (by address) through this dispatcher.</summary>
    public IReadOnlyDictionary<string, int> AnsweredBySilo => _answered;

    /// <summary>Items sent again to another silo after theirs was lost.</summary>
    public int Moved => Volatile.Read(ref _moved);

    public async Task<ItemOutcome> EvaluateAsync(ItemWork work, CancellationToken cancellationToken)
    {
        StartWatch();
        Interlocked.Increment(ref _pending);
        try
        {
            return await EvaluateOnSomeSiloAsync(work, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        _closed.Cancel();
        lock (_gate)
        {
            foreach (var lost in _lost.Values)
            {
                lost.Dispose();
            }

            _lost.Clear();
        }
    }

    private async Task<ItemOutcome> EvaluateOnSomeSiloAsync(ItemWork work, CancellationToken cancellationToken)
    {
        Exception? last = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var picked = await PickAsync(cancellationToken).ConfigureAwait(false);
            if (picked is not var (silo, lost))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lost);
            var nextLoss = NextLoss;
            try
            {
                var call = client.GetGrain<ISiloWorkerGrain>(SiloPinnedPlacement.Key(silo, "worker")).EvaluateAsync(work, linked.Token).WaitAsync(linked.Token);
                if (await Task.WhenAny(call, nextLoss).ConfigureAwait(false) != call)
                {
                    // Another silo left while this item was in flight here: the call may have gone through that silo's
                    // gateway, and its reply with it. Send the item again and take whichever answers first.
                    return await HedgeAsync(call, linked, work, cancellationToken).ConfigureAwait(false);
                }

                return Answered(await call.ConfigureAwait(false));
            }
            catch (Exception ex) when (ClusterFailures.IsSiloLoss(ex, cancellationToken) || (ex is OperationCanceledException && lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
            {
                last = ex is OperationCanceledException ? new SiloUnavailableException($"silo {silo} left the cluster while answering") : ex;
                MarkDown(silo);
                Interlocked.Increment(ref _moved);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    _inFlight[silo] = _inFlight.GetValueOrDefault(silo) - 1;
                }
            }
        }

        throw new DiagnosticException([Diagnostic.Error(ClusterDiagnosticCodes.ItemUnplaceable, new SourceLocation("--cluster", 0, 0),
            $"no silo could answer an item after {MaxAttempts} attempts{(last is null ? " (no silo is up)" : $": {last.Message}")}",
            "Check that silos are running (compose cluster status) and reachable from here; the results so far are kept and the evaluation resumes when run again.")]);
    }

    /// <summary>Completes when the next silo leaves the active set.</summary>
    private Task NextLoss
    {
        get
        {
            lock (_gate)
            {
                return _nextLoss.Task;
            }
        }
    }

    private ItemOutcome Answered(ItemOutcome outcome)
    {
        _answered.AddOrUpdate(outcome.Silo, 1, (_, n) => n + 1);
        return outcome;
    }

    private async Task<ItemOutcome> HedgeAsync(Task<ItemOutcome> call, CancellationTokenSource callCancellation, ItemWork work, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _moved);
        using var hedgeCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hedge = EvaluateOnSomeSiloAsync(work, hedgeCancellation.Token);
        var first = await Task.WhenAny(call, hedge).ConfigureAwait(false);
        if (first == call && call.IsCompletedSuccessfully)
        {
            await hedgeCancellation.CancelAsync().ConfigureAwait(false);
            _ = hedge.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return Answered(call.Result);
        }

        await callCancellation.CancelAsync().ConfigureAwait(false);
        _ = call.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return await hedge.ConfigureAwait(false);
    }

    private void MarkDown(SiloAddress silo)
    {
        lock (_gate)
        {
            _down[silo] = Environment.TickCount64;
            _refreshed = null;
        }
    }

    private void StartWatch()
    {
        if (_watch is null)
        {
            lock (_gate)
            {
                _watch ??= Task.Run(WatchAsync);
            }
        }
    }

    /// <summary>While items are in flight, polls the active silos every second; a silo that left has its items sent elsewhere.</summary>
    private async Task WatchAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_closed.Token).ConfigureAwait(false))
            {
                if (Volatile.Read(ref _pending) == 0)
                {
                    continue;
                }

                try
                {
                    await RefreshAsync(_closed.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException && ex is not OutOfMemoryException)
                {
                    // the cluster is unreachable for a moment: the calls themselves fail or wait; poll again
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        // Bounded: the management call itself may go through a gateway that just died.
        var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        if (Environment.GetEnvironmentVariable("COMPOSE_CLUSTER_DEBUG") == "1")
        {
            Console.Error.WriteLine($"[dispatcher] active: {string.Join(", ", hosts.Keys)}; pending {Volatile.Read(ref _pending)}");
        }

        lock (_gate)
        {
            _silos = [.. hosts.Keys];
            _refreshed = Environment.TickCount64;
            foreach (var silo in _silos)
            {
                if (!_lost.ContainsKey(silo))
                {
                    _lost[silo] = new CancellationTokenSource();
                }
            }

            var left = _lost.Where(l => !hosts.ContainsKey(l.Key)).ToList();
            foreach (var (silo, lost) in left)
            {
                _down[silo] = Environment.TickCount64;
                lost.Cancel();
                _lost.Remove(silo);
                lost.Dispose();
            }

            if (left.Count > 0)
            {
                var signal = _nextLoss;
                _nextLoss = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal.SetResult();
            }
        }
    }

    private async Task<(SiloAddress Silo, CancellationToken Lost)?> PickAsync(CancellationToken cancellationToken)
    {
        bool stale;
        lock (_gate)
        {
            stale = _refreshed is not { } at || Environment.TickCount64 - at > Refresh.TotalMilliseconds;
        }

        if (stale)
        {
            try
            {
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ClusterFailures.IsSiloLoss(ex, cancellationToken))
            {
                // The membership query went through a silo that just left: keep the silos known so far (those that left
                // are skipped by their lost token); the next pick asks again.
            }
        }

        lock (_gate)
        {
            var now = Environment.TickCount64;
            var up = _silos.Where(s => _lost.ContainsKey(s) && (!_down.TryGetValue(s, out var at) || now - at > DownFor.TotalMilliseconds)).ToList();
            if (up.Count == 0)
            {
                return null;
            }

            var pick = up.MinBy(s => _inFlight.GetValueOrDefault(s))!;
            _inFlight[pick] = _inFlight.GetValueOrDefault(pick) + 1;
            return (pick, _lost[pick].Token);
        }
    }
}
