using System.Collections.Concurrent;
using Compose.Language;
using Orleans.Runtime;

namespace Compose.Cluster;

/// <summary>
/// Sends items to silos: each to the active silo with the fewest items in flight from here; an item whose silo is
/// lost (killed, unreachable, declared dead) goes to another silo, so every item completes exactly once from the
/// caller's view. Model calls an item made before its silo was lost are in the shared response cache and are not
/// paid again when it runs elsewhere.
/// </summary>
public sealed class ClusterDispatcher(IClusterClient client)
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
    private long? _refreshed;
    private int _moved;

    /// <summary>Items answered per silo (by address) through this dispatcher.</summary>
    public IReadOnlyDictionary<string, int> AnsweredBySilo => _answered;

    /// <summary>Items sent again to another silo after theirs was lost.</summary>
    public int Moved => Volatile.Read(ref _moved);

    public async Task<ItemOutcome> EvaluateAsync(ItemWork work, CancellationToken cancellationToken)
    {
        Exception? last = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var silo = await PickAsync(cancellationToken).ConfigureAwait(false);
            if (silo is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                var outcome = await client.GetGrain<ISiloWorkerGrain>(SiloPinnedPlacement.Key(silo, "worker")).EvaluateAsync(work, cancellationToken).ConfigureAwait(false);
                _answered.AddOrUpdate(outcome.Silo, 1, (_, n) => n + 1);
                return outcome;
            }
            catch (Exception ex) when (ClusterFailures.IsSiloLoss(ex, cancellationToken))
            {
                last = ex;
                lock (_gate)
                {
                    _down[silo] = Environment.TickCount64;
                    _refreshed = null;
                }

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

    private async Task<SiloAddress?> PickAsync(CancellationToken cancellationToken)
    {
        bool stale;
        lock (_gate)
        {
            stale = _refreshed is not { } at || Environment.TickCount64 - at > Refresh.TotalMilliseconds;
        }

        if (stale)
        {
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _silos = [.. hosts.Keys];
                _refreshed = Environment.TickCount64;
            }
        }

        lock (_gate)
        {
            var now = Environment.TickCount64;
            var up = _silos.Where(s => !_down.TryGetValue(s, out var at) || now - at > DownFor.TotalMilliseconds).ToList();
            if (up.Count == 0)
            {
                return null;
            }

            var pick = up.MinBy(s => _inFlight.GetValueOrDefault(s))!;
            _inFlight[pick] = _inFlight.GetValueOrDefault(pick) + 1;
            return pick;
        }
    }
}
