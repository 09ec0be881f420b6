using System.Globalization;
using System.Text;

namespace Dendrite.IO;

/// <summary>Line charts as standalone SVG files (training curves, experiment results): axes with ticks, one
/// coloured line per series, a legend.</summary>
public static class SvgPlot
{
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    /// <summary>Renders the series (name → points) and writes the file atomically.</summary>
    public static void Save(string path, string title, string xLabel, string yLabel,
        IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series)
    {
        AtomicFile.WriteText(path, Render(title, xLabel, yLabel, series));
    }

    /// <summary>The SVG document.</summary>
    public static string Render(string title, string xLabel, string yLabel,
        IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series)
    {
        const int W = 640, H = 400, L = 70, R = 20, T = 40, B = 50;
        var pts = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Y)).ToList();
        double x0 = pts.Count > 0 ? pts.Min(p => p.X) : 0, x1 = pts.Count > 0 ? pts.Max(p => p.X) : 1;
        double y0 = pts.Count > 0 ? pts.Min(p => p.Y) : 0, y1 = pts.Count > 0 ? pts.Max(p => p.Y) : 1;
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) y1 = y0 + 1;
        double pad = (y1 - y0) * 0.05;
        y0 -= pad;
        y1 += pad;
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        double Sx(double x) => L + (x - x0) / (x1 - x0) * (W - L - R);
        double Sy(double y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        for (int i = 0; i <= 5; i++)
        {
            double xv = x0 + (x1 - x0) * i / 5, yv = y0 + (y1 - y0) * i / 5;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Sx(xv))}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{xv.ToString("G4", CultureInfo.InvariantCulture)}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{L - 6}\" y=\"{F(Sy(yv) + 4)}\" text-anchor=\"end\">{yv.ToString("G4", CultureInfo.InvariantCulture)}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" y1=\"{F(Sy(yv))}\" x2=\"{W - R}\" y2=\"{F(Sy(yv))}\" stroke=\"#eee\"/>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 12}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{(T + H - B) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {(T + H - B) / 2})\">{Escape(yLabel)}</text>\n");
        for (int s = 0; s < series.Count; s++)
        {
            string color = Colors[s % Colors.Length];
            var line = string.Join(" ", series[s].Points.Where(p => double.IsFinite(p.Y)).Select(p => $"{F(Sx(p.X))},{F(Sy(p.Y))}"));
            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{line}\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{W - R - 150}\" y=\"{T + 6 + 18 * s}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W - R - 132}\" y=\"{T + 16 + 18 * s}\">{Escape(series[s].Name)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Escape(string s) =>
        s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
