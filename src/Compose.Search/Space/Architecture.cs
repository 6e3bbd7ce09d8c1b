using System.Collections.Immutable;
using System.Globalization;

namespace Compose.Search.Space;

/// <summary>
/// One point of a search space: an architecture of techniques. <see cref="RankKeep"/> 0 means no rank
/// layer; <see cref="Final"/> is <c>none</c>, <c>verify</c> or <c>unit_tests</c>.
/// </summary>
public sealed record Architecture(
    ImmutableArray<string> Generators,
    int Samples,
    bool Critique,
    int RankKeep,
    int FusionLayers,
    int Fusers,
    string Final,
    double Temperature)
{
    /// <summary>A stable text identifying the architecture (its identity in studies and caches).</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"gen={string.Join('+', Generators)};samples={Samples};critique={(Critique ? 1 : 0)};rank={RankKeep};fusion={FusionLayers}x{Fusers};final={Final};t={Temperature:0.###}");

    public override string ToString() => Key;
}
