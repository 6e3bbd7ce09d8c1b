using MathNet.Numerics.LinearAlgebra;

namespace Compose.Search.Optimizers;

/// <summary>
/// Gaussian-process regression with a Matérn 5/2 kernel on standardised targets. The length scale and
/// noise are chosen by the log marginal likelihood over a small grid; the fit is a Cholesky factorisation.
/// </summary>
public sealed class GaussianProcess
{
    private static readonly double[] LengthScales = [0.25, 0.5, 1.0, 2.0];
    private static readonly double[] Noises = [1e-4, 1e-2, 0.1, 0.3];

    private readonly double[][] _x;
    private readonly double _mean;
    private readonly double _scale;
    private readonly double _lengthScale;
    private readonly double _noise;
    private readonly MathNet.Numerics.LinearAlgebra.Factorization.Cholesky<double> _cholesky;
    private readonly Vector<double> _alpha;

    private GaussianProcess(double[][] x, double mean, double scale, double lengthScale, double noise, MathNet.Numerics.LinearAlgebra.Factorization.Cholesky<double> cholesky, Vector<double> alpha)
    {
        _x = x;
        _mean = mean;
        _scale = scale;
        _lengthScale = lengthScale;
        _noise = noise;
        _cholesky = cholesky;
        _alpha = alpha;
    }

    public double LengthScale => _lengthScale;

    public double Noise => _noise;

    public static GaussianProcess Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y)
    {
        var mean = y.Average();
        var sd = Math.Sqrt(y.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, y.Count));
        var scale = sd > 1e-12 ? sd : 1;
        var z = Vector<double>.Build.DenseOfEnumerable(y.Select(v => (v - mean) / scale));
        var points = x.ToArray();
        GaussianProcess? best = null;
        var bestLikelihood = double.NegativeInfinity;
        foreach (var l in LengthScales)
        {
            foreach (var n in Noises)
            {
                var k = Matrix<double>.Build.Dense(points.Length, points.Length, (i, j) => Kernel(points[i], points[j], l) + (i == j ? n + 1e-8 : 0));
                MathNet.Numerics.LinearAlgebra.Factorization.Cholesky<double> chol;
                try
                {
                    chol = k.Cholesky();
                }
                catch (ArgumentException)
                {
                    continue;
                }

                var alpha = chol.Solve(z);
                var logDet = 2 * chol.Factor.Diagonal().Sum(Math.Log);
                var likelihood = (-0.5 * z.DotProduct(alpha)) - (0.5 * logDet);
                if (likelihood > bestLikelihood)
                {
                    bestLikelihood = likelihood;
                    best = new GaussianProcess(points, mean, scale, l, n, chol, alpha);
                }
            }
        }

        return best ?? throw new InvalidOperationException("the Gaussian process could not be fitted");
    }

    /// <summary>Posterior mean and standard deviation at <paramref name="x"/>, in the units of the targets.</summary>
    public (double Mean, double Sd) Predict(double[] x)
    {
        var k = Vector<double>.Build.Dense(_x.Length, i => Kernel(_x[i], x, _lengthScale));
        var mean = k.DotProduct(_alpha);
        var v = _cholesky.Factor.Solve(k);
        var variance = Math.Max(1e-12, 1 - v.DotProduct(v));
        return (_mean + (mean * _scale), Math.Sqrt(variance) * _scale);
    }

    /// <summary>Matérn 5/2 with unit variance.</summary>
    public static double Kernel(double[] a, double[] b, double lengthScale)
    {
        double d2 = 0;
        for (var i = 0; i < a.Length; i++)
        {
            d2 += (a[i] - b[i]) * (a[i] - b[i]);
        }

        var r = Math.Sqrt(5 * d2) / lengthScale;
        return (1 + r + (r * r / 3)) * Math.Exp(-r);
    }
}
