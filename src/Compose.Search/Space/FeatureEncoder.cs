using Compose.Search.Space;

namespace Compose.Search.Space;

/// <summary>
/// Encodes architectures as points in [0, 1]^d for a surrogate model: which models generate (one bit
/// each), ordinal axes scaled by their range (samples on a log scale), booleans as 0/1, the final layer
/// one-hot, and the temperature, a continuous axis, scaled to its range.
/// </summary>
public sealed class FeatureEncoder(SearchSpace space)
{
    private readonly string[] _models = [.. space.Generators.SelectMany(g => g).Distinct().Order(StringComparer.Ordinal)];
    private readonly string[] _finals = [.. space.Final];

    public int Dimensions => _models.Length + 5 + _finals.Length + 1;

    public double[] Encode(Architecture a)
    {
        var x = new double[Dimensions];
        var i = 0;
        foreach (var m in _models)
        {
            x[i++] = a.Generators.Contains(m) ? 1 : 0;
        }

        x[i++] = Scale(Math.Log(a.Samples), Math.Log(space.Samples.Min()), Math.Log(space.Samples.Max()));
        x[i++] = a.Critique ? 1 : 0;
        x[i++] = Scale(a.RankKeep, space.RankKeep.Min(), space.RankKeep.Max());
        x[i++] = Scale(a.FusionLayers, space.FusionLayers.Min(), space.FusionLayers.Max());
        x[i++] = a.FusionLayers == 0 ? 0 : Scale(a.Fusers, space.Fusers.Min(), space.Fusers.Max());
        foreach (var f in _finals)
        {
            x[i++] = a.Final == f ? 1 : 0;
        }

        x[i] = Scale(a.Temperature, space.TemperatureRange.Min, space.TemperatureRange.Max);
        return x;
    }

    private static double Scale(double v, double min, double max) => max > min ? (v - min) / (max - min) : 0;
}
