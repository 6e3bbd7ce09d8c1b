using System.Globalization;
using System.Text;
using Compose.Search.Trials;

namespace Compose.Search.Reporting;

/// <summary>The study report: Markdown with the best architecture, the accuracy–cost front, an SVG plot and the search trace.</summary>
public static class SearchReport
{
    public static string Markdown(string title, SearchResult result, int fullFidelity, string svgFile, string bestFile, double? cacheSaved, int feasible, int overBudget)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(inv, $"# Search report: {title}\n\n");
        md.Append(inv, $"{result.Trials.Length} trials ({result.FullEvaluations(fullFidelity):F1} full-benchmark evaluations) over {feasible} architectures within the budget ({overBudget} over the budget, never run).");
        if (result.Reused > 0 || result.Rerun > 0)
        {
            md.Append(inv, $" Resumed: {result.Reused} finished trials reused, {result.Rerun} interrupted trials run again.");
        }

        if (cacheSaved is { } s)
        {
            md.Append(inv, $" The response cache answered {s:P1} of the calls.");
        }

        md.Append("\n\n");
        if (result.Best is { } best)
        {
            md.Append(inv, $"## Best architecture\n\n`{best.Architecture.Key}`: accuracy {best.Accuracy:P1} on {best.Items} items, {best.CallsPerItem:F2} calls per question. Pipeline: [{bestFile}]({bestFile}).\n\n");
        }

        md.Append(inv, $"## Accuracy against cost\n\n![accuracy-cost front]({svgFile})\n\n| architecture | items | accuracy | calls/q |\n|---|---:|---:|---:|\n");
        foreach (var t in ParetoFront.Of(result.Trials.Where(t => t.Fidelity == fullFidelity)))
        {
            md.Append(inv, $"| `{t.Architecture.Key}` | {t.Items} | {t.Accuracy:P1} | {t.CallsPerItem:F2} |\n");
        }

        md.Append("\n## Search trace\n\n| # | architecture | items | accuracy | best so far | calls/q | paid calls | attempts |\n|---:|---|---:|---:|---:|---:|---:|---:|\n");
        var bestSoFar = 0.0;
        foreach (var t in result.Trials)
        {
            if (t.Fidelity == fullFidelity)
            {
                bestSoFar = Math.Max(bestSoFar, t.Accuracy);
            }

            md.Append(inv, $"| {t.Number} | `{t.Architecture.Key}` | {t.Items} | {t.Accuracy:P1} | {bestSoFar:P1} | {t.CallsPerItem:F2} | {t.PaidCalls} | {t.Attempts} |\n");
        }

        return md.ToString();
    }

    /// <summary>An SVG scatter of every trial (accuracy against calls per question), the front joined by a line.</summary>
    public static string Svg(SearchResult result, int fullFidelity)
    {
        var inv = CultureInfo.InvariantCulture;
        const double W = 640, H = 400, L = 60, R = 20, T = 20, B = 50;
        var trials = result.Trials.Where(t => t.Fidelity == fullFidelity).ToList();
        var maxX = Math.Max(1, trials.Count == 0 ? 1 : trials.Max(t => t.CallsPerItem)) * 1.05;
        double X(double v) => L + (v / maxX * (W - L - R));
        double Y(double v) => H - B - (v * (H - T - B));
        var svg = new StringBuilder();
        svg.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(inv, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        svg.Append(inv, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        for (var i = 0; i <= 4; i++)
        {
            var a = i / 4.0;
            svg.Append(inv, $"<text x=\"{L - 8}\" y=\"{Y(a) + 4:F1}\" text-anchor=\"end\">{a:P0}</text>\n");
            var c = maxX * i / 4;
            svg.Append(inv, $"<text x=\"{X(c):F1}\" y=\"{H - B + 18}\" text-anchor=\"middle\">{c:F1}</text>\n");
        }

        svg.Append(inv, $"<text x=\"{(W + L) / 2}\" y=\"{H - 10}\" text-anchor=\"middle\">calls per question</text>\n");
        svg.Append(inv, $"<text x=\"15\" y=\"{(H - B + T) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 15 {(H - B + T) / 2})\">accuracy</text>\n");
        foreach (var t in trials)
        {
            svg.Append(inv, $"<circle cx=\"{X(t.CallsPerItem):F1}\" cy=\"{Y(t.Accuracy):F1}\" r=\"3\" fill=\"#9aa\"><title>{System.Security.SecurityElement.Escape(t.Architecture.Key)}</title></circle>\n");
        }

        var front = ParetoFront.Of(trials);
        if (front.Length > 0)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#c33\" stroke-width=\"2\" points=\"");
            svg.AppendJoin(' ', front.Select(t => string.Create(inv, $"{X(t.CallsPerItem):F1},{Y(t.Accuracy):F1}")));
            svg.Append("\"/>\n");
            foreach (var t in front)
            {
                svg.Append(inv, $"<circle cx=\"{X(t.CallsPerItem):F1}\" cy=\"{Y(t.Accuracy):F1}\" r=\"4\" fill=\"#c33\"/>\n");
            }
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
