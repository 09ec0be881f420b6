using System.Globalization;
using SP = ScottPlot;

namespace Dendrite.IO;

/// <summary>
/// Figures for experiments, drawn by ScottPlot 5 (SkiaSharp underneath) and written atomically as PNG or SVG:
/// training curves, class-coloured scatter plots, histograms with a density overlay, heatmaps and confusion
/// matrices with a colour bar, bar charts, contour plots with paths over them, and image grids. Inputs are Dendrite
/// tensors or plain arrays; options are records (<see cref="PlotOptions"/> and its kinds).
/// </summary>
public static partial class Plots
{
    /// <summary>Series colours in order (matplotlib's Category10, as hex #rrggbb): series i gets
    /// Palette[i % 10].</summary>
    public static IReadOnlyList<string> Palette { get; } =
        [.. new SP.Palettes.Category10().Colors.Select(c => "#" + c.ToHex()[1..7].ToLowerInvariant())];

    private static SP.Color SeriesColor(int i) => SP.Color.FromHex(Palette[i % Palette.Count]);

    /// <summary>Lines, one per series, with a legend when there are several names (train vs validation).</summary>
    public static void Line(string path, IReadOnlyList<Series> series, LineOptions? options = null)
    {
        options ??= new LineOptions();
        if (series.Count == 0) throw new ArgumentException($"Plots.Line: {path}: no series");
        using var plot = Start(options);
        int drawn = 0;
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            if (s.X.Length != s.Y.Length)
                throw new ArgumentException($"Plots.Line: series '{s.Name}' has {s.X.Length} x and {s.Y.Length} y");
            // Missing values (NaN, as an empty CSV cell reads) are left out; a series with none left is not drawn.
            var keep = Enumerable.Range(0, s.X.Length).Where(k => double.IsFinite(s.X[k]) && double.IsFinite(s.Y[k]))
                .ToArray();
            if (keep.Length == 0) continue;
            double[] x = [.. keep.Select(k => s.X[k])], y = [.. keep.Select(k => s.Y[k])];
            if (options.LogY && y.Any(v => v <= 0))
                throw new ArgumentException($"Plots.Line: series '{s.Name}' has values <= 0 on a log y axis");
            var line = plot.Add.Scatter(x, options.LogY ? [.. y.Select(Math.Log10)] : y, SeriesColor(i));
            line.LegendText = s.Name;
            line.LineWidth = 2;
            line.MarkerSize = options.MarkerSize ?? (x.Length <= 60 ? 7 : 0);
            drawn++;
        }
        if (drawn == 0) throw new ArgumentException($"Plots.Line: {path}: no series has a finite point");
        if (options.IntegerX)
            plot.Axes.Bottom.TickGenerator = new SP.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (options.LogY)
        {
            plot.Axes.Left.TickGenerator = new SP.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
            };
        }
        // Curves mostly fall (losses) or rise to a plateau (accuracies); the upper right is the emptier corner.
        if (drawn > 1) plot.ShowLegend(SP.Alignment.UpperRight);
        Save(plot, path, options);
    }

    /// <summary>Points (N, 2) coloured by integer class labels (N), one legend entry per class.</summary>
    public static void Scatter(string path, Tensor points, Tensor labels, ScatterOptions? options = null)
    {
        if (points.Rank != 2 || points.Size(1) != 2 || labels.Rank != 1 || labels.Size(0) != points.Size(0))
            throw new ArgumentException($"Plots.Scatter: expected points (N, 2) and labels (N), got " +
                $"{Shapes.Format(points.Shape)} and {Shapes.Format(labels.Shape)}");
        var p = points.ToArray<double>();
        int n = points.Size(0);
        double[] x = new double[n], y = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = p[2 * i];
            y[i] = p[2 * i + 1];
        }
        Scatter(path, x, y, labels.ToArray<long>(), options);
    }

    /// <summary>Points (x[i], y[i]) coloured by class labels[i].</summary>
    public static void Scatter(string path, double[] x, double[] y, long[] labels, ScatterOptions? options = null)
    {
        options ??= new ScatterOptions();
        if (x.Length != y.Length || x.Length != labels.Length)
            throw new ArgumentException($"Plots.Scatter: {x.Length} x, {y.Length} y and {labels.Length} labels");
        if (x.Length == 0) throw new ArgumentException($"Plots.Scatter: {path}: no points");
        using var plot = Start(options);
        AddClassPoints(plot, x, y, labels, options);
        plot.ShowLegend();
        Save(plot, path, options);
    }

    // One marker series per class, in the class colour, named from ClassNames when given.
    private static void AddClassPoints(SP.Plot plot, double[] x, double[] y, long[] labels, ScatterOptions options)
    {
        foreach (long k in labels.Distinct().Order())
        {
            var idx = Enumerable.Range(0, x.Length).Where(i => labels[i] == k).ToArray();
            var names = options.ClassNames;
            var points = plot.Add.ScatterPoints(idx.Select(i => x[i]).ToArray(), idx.Select(i => y[i]).ToArray(),
                SeriesColor((int)(k % Palette.Count)));
            points.MarkerSize = options.MarkerSize;
            bool named = names is not null && k >= 0 && k < names.Count;
            points.LegendText = named ? names![(int)k] : k.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>A histogram of the values (any shape, flattened).</summary>
    public static void Histogram(string path, Tensor values, HistogramOptions? options = null) =>
        Histogram(path, Values(values, "Plots.Histogram"), options);

    /// <summary>A histogram of the values; with <see cref="HistogramOptions.Density"/> the bars are densities and a
    /// Gaussian kernel density estimate is drawn over them.</summary>
    public static void Histogram(string path, IReadOnlyList<double> values, HistogramOptions? options = null)
    {
        options ??= new HistogramOptions();
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0) throw new ArgumentException($"Plots.Histogram: {path}: no finite values");
        if (options.Bins < 1) throw new ArgumentException($"Plots.Histogram: bins must be >= 1, got {options.Bins}");
        double lo = v.Min(), hi = v.Max();
        if (hi == lo)
        {
            lo -= 0.5;
            hi += 0.5;
        }
        double width = (hi - lo) / options.Bins;
        var counts = new double[options.Bins];
        foreach (double a in v) counts[Math.Min(options.Bins - 1, (int)((a - lo) / width))]++;
        double unit = options.Density ? 1 / (v.Length * width) : 1;
        using var plot = Start(options);
        var bars = Enumerable.Range(0, options.Bins).Select(i => new SP.Bar
        {
            Position = lo + (i + 0.5) * width,
            Value = counts[i] * unit,
            Size = width,
            FillColor = SeriesColor(0).WithAlpha(0.6),
            LineWidth = 0,
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.LegendText = options.Density ? "density" : "count";
        if (options.Density)
        {
            var (kx, ky) = KernelDensity(v, lo - 3 * width, hi + 3 * width, 200);
            var line = plot.Add.ScatterLine(kx, ky, SeriesColor(1));
            line.LineWidth = 2;
            line.LegendText = "kernel density";
            plot.ShowLegend();
        }
        plot.Axes.Margins(bottom: 0);
        Save(plot, path, options);
    }

    // Gaussian kernel density with Silverman's bandwidth h = 0.9 · min(σ, IQR / 1.34) · n^(-1/5).
    private static (double[] X, double[] Y) KernelDensity(double[] v, double lo, double hi, int points)
    {
        int n = v.Length;
        double mean = v.Average();
        double sd = Math.Sqrt(v.Sum(a => (a - mean) * (a - mean)) / Math.Max(1, n - 1));
        var sorted = v.Order().ToArray();
        double iqr = sorted[(int)(0.75 * (n - 1))] - sorted[(int)(0.25 * (n - 1))];
        double spread = iqr > 0 ? Math.Min(sd, iqr / 1.34) : sd;
        double h = 0.9 * (spread > 0 ? spread : 1) * Math.Pow(n, -0.2);
        double[] x = new double[points], y = new double[points];
        double norm = 1 / (n * h * Math.Sqrt(2 * Math.PI));
        for (int i = 0; i < points; i++)
        {
            x[i] = lo + (hi - lo) * i / (points - 1);
            double sum = 0;
            foreach (double a in v)
            {
                double u = (x[i] - a) / h;
                sum += Math.Exp(-0.5 * u * u);
            }
            y[i] = sum * norm;
        }
        return (x, y);
    }

    /// <summary>A matrix (R, C) as coloured cells with a colour bar; row 0 at the top.</summary>
    public static void Heatmap(string path, Tensor matrix, HeatmapOptions? options = null)
    {
        if (matrix.Rank != 2)
            throw new ArgumentException($"Plots.Heatmap: expected a matrix (R, C), got {Shapes.Format(matrix.Shape)}");
        int r = matrix.Size(0), c = matrix.Size(1);
        var v = matrix.ToArray<double>();
        var grid = new double[r, c];
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < c; j++) grid[i, j] = v[i * c + j];
        }
        Heatmap(path, grid, options);
    }

    /// <summary>A matrix [row, column] as coloured cells with a colour bar; row 0 at the top.</summary>
    public static void Heatmap(string path, double[,] matrix, HeatmapOptions? options = null)
    {
        options ??= new HeatmapOptions();
        int r = matrix.GetLength(0), c = matrix.GetLength(1);
        if (r == 0 || c == 0) throw new ArgumentException($"Plots.Heatmap: {path}: empty matrix [{r},{c}]");
        CheckLabels("rows", options.RowLabels, r);
        CheckLabels("columns", options.ColumnLabels, c);
        using var plot = Start(options);
        var map = plot.Add.Heatmap(matrix);
        map.Colormap = Scale(options.Colormap);
        // Cell (i, j) is centred on x = j, y = r - 1 - i: row 0 at the top, as a matrix is printed.
        map.Extent = new SP.CoordinateRect(-0.5, c - 0.5, -0.5, r - 0.5);
        plot.Add.ColorBar(map);
        if (options.ColumnLabels is { } cols)
            plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, c).Select(j => (double)j)], [.. cols]);
        if (options.RowLabels is { } rows)
            plot.Axes.Left.SetTicks([.. Enumerable.Range(0, r).Select(i => (double)(r - 1 - i))], [.. rows]);
        if (options.Annotate)
        {
            double lo = matrix.Cast<double>().Min(), hi = matrix.Cast<double>().Max();
            for (int i = 0; i < r; i++)
            {
                for (int j = 0; j < c; j++)
                {
                    var text = plot.Add.Text(matrix[i, j].ToString(options.NumberFormat, CultureInfo.InvariantCulture),
                        j, r - 1 - i);
                    text.Alignment = SP.Alignment.MiddleCenter;
                    text.LabelFontSize = Math.Clamp(280f / Math.Max(r, c), 8, 16);
                    double t = hi > lo ? (matrix[i, j] - lo) / (hi - lo) : 0;
                    text.LabelFontColor = map.Colormap.GetColor(t).Luminance > 0.5 ? SP.Colors.Black : SP.Colors.White;
                }
            }
        }
        plot.Axes.SetLimits(-0.5, c - 0.5, -0.5, r - 0.5);
        Save(plot, path, options);
    }

    /// <summary>A confusion matrix (K, K) of counts, rows the true class and columns the predicted one, annotated
    /// and labelled with the class names.</summary>
    public static void ConfusionMatrix(string path, Tensor counts, IReadOnlyList<string> classNames,
        PlotOptions? options = null)
    {
        int k = classNames.Count;
        if (counts.Rank != 2 || counts.Size(0) != k || counts.Size(1) != k)
            throw new ArgumentException($"Plots.ConfusionMatrix: expected ({k}, {k}) counts for {k} classes, got " +
                Shapes.Format(counts.Shape));
        options ??= new PlotOptions();
        Heatmap(path, counts, new HeatmapOptions
        {
            Title = options.Title ?? "confusion matrix",
            XLabel = options.XLabel ?? "predicted",
            YLabel = options.YLabel ?? "true",
            Width = options.Width,
            Height = options.Height,
            Format = options.Format,
            RowLabels = classNames,
            ColumnLabels = classNames,
            Annotate = true,
            NumberFormat = "G",
            Colormap = Colormap.Blues,
        });
    }

    /// <summary>Bars with a name each.</summary>
    public static void Bar(string path, IReadOnlyList<string> names, IReadOnlyList<double> values,
        PlotOptions? options = null)
    {
        options ??= new PlotOptions();
        if (names.Count != values.Count || names.Count == 0)
            throw new ArgumentException($"Plots.Bar: {names.Count} names for {values.Count} values");
        using var plot = Start(options);
        var bars = Enumerable.Range(0, values.Count).Select(i => new SP.Bar
        {
            Position = i,
            Value = values[i],
            FillColor = SeriesColor(0),
            Size = 0.7,
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, names.Count).Select(i => (double)i)], [.. names]);
        plot.Axes.Margins(bottom: 0);
        Save(plot, path, options);
    }

    /// <summary>Contours of f(x, y) over [xMin, xMax] × [yMin, yMax], shaded, with optional paths drawn over them
    /// (each from its first point, marked, to its last).</summary>
    public static void Contour(string path, Func<double, double, double> f, (double Min, double Max) x,
        (double Min, double Max) y, IReadOnlyList<Series>? paths = null, ContourOptions? options = null)
    {
        options ??= new ContourOptions();
        if (!(x.Max > x.Min) || !(y.Max > y.Min))
            throw new ArgumentException($"Plots.Contour: empty range x [{x.Min}, {x.Max}], y [{y.Min}, {y.Max}]");
        if (options.Resolution < 2 || options.Levels < 1)
            throw new ArgumentException($"Plots.Contour: resolution {options.Resolution} and levels {options.Levels}");
        int n = options.Resolution;
        var z = new double[n, n];
        double zMin = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                z[i, j] = f(x.Min + (x.Max - x.Min) * j / (n - 1), y.Max - (y.Max - y.Min) * i / (n - 1));
                if (double.IsFinite(z[i, j])) zMin = Math.Min(zMin, z[i, j]);
            }
        }
        if (double.IsPositiveInfinity(zMin))
            throw new ArgumentException("Plots.Contour: f has no finite value in the range");
        // Shading and levels on one scale: log10(1 + z − min) spreads the levels through a narrow valley.
        var shade = new double[n, n];
        var points = new SP.Coordinates3d[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = options.LogScale ? Math.Log10(1 + z[i, j] - zMin) : z[i, j];
                shade[i, j] = s;
                points[i, j] = new SP.Coordinates3d(x.Min + (x.Max - x.Min) * j / (n - 1),
                    y.Max - (y.Max - y.Min) * i / (n - 1), s);
            }
        }
        using var plot = Start(options);
        double dx = (x.Max - x.Min) / (n - 1) / 2, dy = (y.Max - y.Min) / (n - 1) / 2;
        var map = plot.Add.Heatmap(shade);
        map.Colormap = Scale(Colormap.Viridis);
        map.Extent = new SP.CoordinateRect(x.Min - dx, x.Max + dx, y.Min - dy, y.Max + dy);
        map.Opacity = 0.85;
        var bar = plot.Add.ColorBar(map);
        bar.Label = options.LogScale ? "log10(1 + f − min f)" : "f";
        var contours = plot.Add.ContourLines(points, options.Levels);
        contours.LineColor = SP.Colors.White.WithAlpha(0.8);
        contours.LineWidth = 1;
        contours.LabelStyle.IsVisible = false;
        for (int p = 0; p < (paths?.Count ?? 0); p++)
        {
            var s = paths![p];
            if (s.X.Length != s.Y.Length || s.X.Length == 0)
                throw new ArgumentException($"Plots.Contour: path '{s.Name}' has {s.X.Length} x and {s.Y.Length} y");
            var color = SeriesColor(p + 1);
            var line = plot.Add.Scatter(s.X, s.Y, color);
            line.LineWidth = 2;
            line.MarkerSize = s.X.Length <= 60 ? 4 : 0;
            line.LegendText = s.Name;
            var start = plot.Add.Marker(s.X[0], s.Y[0], SP.MarkerShape.FilledCircle, 10, color);
            start.LegendText = "";
            var end = plot.Add.Marker(s.X[^1], s.Y[^1], SP.MarkerShape.FilledSquare, 10, color);
            end.LegendText = "";
        }
        if (paths is { Count: > 0 }) plot.ShowLegend();
        plot.Axes.SetLimits(x.Min, x.Max, y.Min, y.Max);
        Save(plot, path, options);
    }

    /// <summary>The regions a classifier assigns to each class over [xMin, xMax] × [yMin, yMax], shaded in the class
    /// colours, with the points (x[i], y[i]) of class labels[i] drawn over them: a decision-boundary plot.</summary>
    public static void DecisionRegions(string path, Func<double, double, long> classify, (double Min, double Max) x,
        (double Min, double Max) y, double[] px, double[] py, long[] labels, ScatterOptions? options = null,
        int resolution = 200)
    {
        options ??= new ScatterOptions();
        if (!(x.Max > x.Min) || !(y.Max > y.Min))
            throw new ArgumentException($"Plots.DecisionRegions: empty range x [{x.Min}, {x.Max}], y [{y.Min}, {y.Max}]");
        if (resolution < 2 || resolution > 4096)
            throw new ArgumentException($"Plots.DecisionRegions: resolution {resolution} outside 2..4096");
        if (px.Length != py.Length || px.Length != labels.Length)
            throw new ArgumentException($"Plots.DecisionRegions: {px.Length} x, {py.Length} y and {labels.Length} labels");
        int n = resolution;
        var cls = new long[n, n];
        long maxClass = labels.Length == 0 ? 0 : labels.Max();
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                cls[i, j] = classify(x.Min + (x.Max - x.Min) * (j + 0.5) / n, y.Max - (y.Max - y.Min) * (i + 0.5) / n);
                maxClass = Math.Max(maxClass, cls[i, j]);
            }
        }
        using var plot = Start(options);
        // One pale layer per class: cells of that class opaque, the others transparent.
        for (long k = 0; k <= maxClass; k++)
        {
            var layer = new SP.Color[n, n];
            var pale = SeriesColor((int)(k % Palette.Count)).WithAlpha(0.25);
            bool any = false;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    bool mine = cls[i, j] == k;
                    any |= mine;
                    layer[i, j] = mine ? pale : SP.Colors.Transparent;
                }
            }
            if (!any) continue;
            var bitmap = plot.Add.ImageRect(ToImage(layer), new SP.CoordinateRect(x.Min, x.Max, y.Min, y.Max));
            bitmap.AntiAlias = false;
        }
        AddClassPoints(plot, px, py, labels, options);
        if (labels.Length > 0) plot.ShowLegend();
        plot.Axes.SetLimits(x.Min, x.Max, y.Min, y.Max);
        Save(plot, path, options);
    }

    private static SP.Image ToImage(SP.Color[,] pixels)
    {
        int h = pixels.GetLength(0), w = pixels.GetLength(1);
        using var bitmap = new SkiaSharp.SKBitmap(w, h, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul);
        for (int i = 0; i < h; i++)
        {
            for (int j = 0; j < w; j++)
            {
                var c = pixels[i, j];
                bitmap.SetPixel(j, i, new SkiaSharp.SKColor(c.R, c.G, c.B, c.A));
            }
        }
        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return new SP.Image(data.ToArray());
    }

    /// <summary>The values of a tensor as doubles, flattened.</summary>
    internal static double[] Values(Tensor t, string op) =>
        t.DType == DType.Bool
            ? throw new ArgumentException($"{op}: boolean tensor {Shapes.Format(t.Shape)} has no numeric values")
            : t.ToArray<double>();

    private static void CheckLabels(string what, IReadOnlyList<string>? labels, int count)
    {
        if (labels is not null && labels.Count != count)
            throw new ArgumentException($"Plots.Heatmap: {labels.Count} labels for {count} {what}");
    }

    private static SP.IColormap Scale(Colormap c) => c switch
    {
        Colormap.Blues => SP.IColormapExtensions.Reversed(new SP.Colormaps.Blues()),
        Colormap.Diverging => new SP.Colormaps.Balance(),
        _ => new SP.Colormaps.Viridis(),
    };

    private static SP.Plot Start(PlotOptions o)
    {
        if (o.Width < 32 || o.Height < 32 || o.Width > 16384 || o.Height > 16384)
            throw new ArgumentException($"Plots: figure size {o.Width}x{o.Height} outside 32..16384 pixels");
        var plot = new SP.Plot();
        if (o.Title is not null) plot.Title(o.Title);
        if (o.XLabel is not null) plot.XLabel(o.XLabel);
        if (o.YLabel is not null) plot.YLabel(o.YLabel);
        return plot;
    }

    /// <summary>PNG or SVG for this path and format choice.</summary>
    internal static PlotFormat Resolve(string path, PlotFormat format, string op)
    {
        if (format != PlotFormat.Auto) return format;
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".svg" => PlotFormat.Svg,
            ".png" or "" => PlotFormat.Png,
            var e => throw new ArgumentException($"{op}: {path}: extension '{e}' is neither .png nor .svg; " +
                "set Format to choose"),
        };
    }

    private static void Save(SP.Plot plot, string path, PlotOptions o)
    {
        if (Resolve(path, o.Format, "Plots") == PlotFormat.Svg)
        {
            AtomicFile.WriteText(path, plot.GetSvgXml(o.Width, o.Height));
            return;
        }
        var png = plot.GetImageBytes(o.Width, o.Height, SP.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }
}
