using System.Globalization;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;

namespace Compose.Evaluation.Running;

/// <summary>
/// The scaling plot of <c>compose eval --plot</c>: accuracy (with its 95% interval) against generated tokens per question,
/// on a log-2 axis, one line per method. Pipelines whose names differ only in a trailing <c>-N</c> (a sample count, a
/// beam width) are one method; their points are joined in order of generated tokens.
/// </summary>
public static partial class ScalingPlot
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

    /// <summary>One point: a pipeline's accuracy and its interval at its generated tokens per question.</summary>
    public sealed record Point(string Pipeline, double GeneratedTokens, double Accuracy, double Low, double High);

    /// <summary>The method a pipeline belongs to: its name without a trailing <c>-N</c> (<c>steps-vote-8</c> is <c>steps-vote</c>).</summary>
    public static string MethodOf(string pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var m = TrailingCount().Match(pipeline);
        return m.Success ? pipeline[..m.Index] : pipeline;
    }

    /// <summary>The points of <paramref name="reports"/>, grouped by method in order of first appearance.</summary>
    public static IReadOnlyList<(string Method, IReadOnlyList<Point> Points)> Series(IReadOnlyList<EvalReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        return [.. reports
            .Where(r => !r.Items.IsEmpty)
            .Select(r => new Point(r.Name, (double)r.OutputTokens / r.Items.Length, r.Accuracy.Value, r.Accuracy.Low, r.Accuracy.High))
            .GroupBy(p => MethodOf(p.Pipeline), StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<Point>)[.. g.OrderBy(p => p.GeneratedTokens)]))];
    }

    /// <summary>The SVG document.</summary>
    public static string Svg(IReadOnlyList<EvalReport> reports, string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        var inv = CultureInfo.InvariantCulture;
        var series = Series(reports);
        const double W = 760, H = 460, L = 64, R = 190, T = 40, B = 56;
        var all = series.SelectMany(s => s.Points).ToList();
        var minX = all.Count == 0 ? 1 : Math.Max(1, all.Min(p => p.GeneratedTokens));
        var maxX = all.Count == 0 ? 2 : Math.Max(minX * 2, all.Max(p => p.GeneratedTokens));
        double lo = Math.Floor(Math.Log2(minX)), hi = Math.Ceiling(Math.Log2(maxX));
        double X(double v) => L + ((Math.Log2(Math.Max(v, 1)) - lo) / (hi - lo) * (W - L - R));
        double Y(double a) => H - B - (a * (H - B - T));

        var svg = new StringBuilder();
        svg.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(inv, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        svg.Append(inv, $"<text x=\"{L}\" y=\"22\" font-size=\"14\">{SecurityElement.Escape(title)}</text>\n");
        for (var a = 0.0; a <= 1.0001; a += 0.2)
        {
            svg.Append(inv, $"<line x1=\"{L}\" y1=\"{Y(a):F1}\" x2=\"{W - R}\" y2=\"{Y(a):F1}\" stroke=\"#eee\"/><text x=\"{L - 8}\" y=\"{Y(a) + 4:F1}\" text-anchor=\"end\">{a:P0}</text>\n");
        }

        for (var e = lo; e <= hi; e++)
        {
            var v = Math.Pow(2, e);
            svg.Append(inv, $"<line x1=\"{X(v):F1}\" y1=\"{T}\" x2=\"{X(v):F1}\" y2=\"{H - B}\" stroke=\"#eee\"/><text x=\"{X(v):F1}\" y=\"{H - B + 18}\" text-anchor=\"middle\">{v:0}</text>\n");
        }

        svg.Append(inv, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        svg.Append(inv, $"<text x=\"{(W - R + L) / 2}\" y=\"{H - 14}\" text-anchor=\"middle\">generated tokens per question (log scale)</text>\n");
        svg.Append(inv, $"<text x=\"16\" y=\"{(H - B + T) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {(H - B + T) / 2})\">accuracy (95% interval)</text>\n");
        for (var s = 0; s < series.Count; s++)
        {
            var (method, points) = series[s];
            var color = Palette[s % Palette.Length];
            svg.Append(inv, $"<g><title>{SecurityElement.Escape(method)}</title>\n");
            svg.Append(inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"");
            svg.AppendJoin(' ', points.Select(p => string.Create(inv, $"{X(p.GeneratedTokens):F1},{Y(p.Accuracy):F1}")));
            svg.Append("\"/>\n");
            foreach (var p in points)
            {
                svg.Append(inv, $"<line x1=\"{X(p.GeneratedTokens):F1}\" y1=\"{Y(p.Low):F1}\" x2=\"{X(p.GeneratedTokens):F1}\" y2=\"{Y(p.High):F1}\" stroke=\"{color}\" stroke-opacity=\"0.45\"/>");
                svg.Append(inv, $"<circle cx=\"{X(p.GeneratedTokens):F1}\" cy=\"{Y(p.Accuracy):F1}\" r=\"3.5\" fill=\"{color}\"><title>{SecurityElement.Escape(p.Pipeline)}: {p.Accuracy:P1} at {p.GeneratedTokens:F0} tokens</title></circle>\n");
            }

            svg.Append("</g>\n");
            var ly = T + 8 + (s * 20);
            svg.Append(inv, $"<line x1=\"{W - R + 14}\" y1=\"{ly}\" x2=\"{W - R + 34}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{W - R + 40}\" y=\"{ly + 4}\">{SecurityElement.Escape(method)}</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    [GeneratedRegex(@"-\d+$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex TrailingCount();
}
