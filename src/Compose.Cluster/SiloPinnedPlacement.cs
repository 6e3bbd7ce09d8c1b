using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Compose.Cluster;

/// <summary>
/// Places a grain on the silo its key names: keys are <c>SILO|rest</c> with the silo's parsable address. A model
/// grain is thereby placed on a silo that hosts the model, and a worker grain on the silo it works for; a key whose
/// silo is gone is refused (<see cref="SiloUnavailableException"/>), and the caller picks another silo.
/// </summary>
[GenerateSerializer, Immutable, Alias("compose.SiloPinnedPlacement")]
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    public static SiloPinnedPlacement Instance { get; } = new();

    public override bool IsUsingGrainDirectory => true;

    /// <summary>The grain key for <paramref name="rest"/> on <paramref name="silo"/>.</summary>
    public static string Key(SiloAddress silo, string rest) => $"{silo.ToParsableString()}|{rest}";

    /// <summary>The silo a key names, or null when it names none.</summary>
    public static SiloAddress? SiloOf(string key)
    {
        var bar = key.IndexOf('|', StringComparison.Ordinal);
        if (bar <= 0)
        {
            return null;
        }

        try
        {
            return SiloAddress.FromParsableString(key[..bar]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloPinnedPlacementAttribute() : PlacementAttribute(SiloPinnedPlacement.Instance);

internal sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString();
        var silo = SiloPinnedPlacement.SiloOf(key);
        if (silo is not null && context.GetCompatibleSilos(target).Contains(silo))
        {
            return Task.FromResult(silo);
        }

        throw new SiloUnavailableException($"the silo {silo?.ToString() ?? "(none)"} named by grain key '{key}' is not in the cluster");
    }
}
