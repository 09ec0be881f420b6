namespace Dendrite.IO;

/// <summary>The file format of a figure.</summary>
public enum PlotFormat
{
    /// <summary>From the file extension: <c>.svg</c> gives SVG, <c>.png</c> PNG.</summary>
    Auto,

    /// <summary>A raster PNG.</summary>
    Png,

    /// <summary>A vector SVG document.</summary>
    Svg,
}

/// <summary>What every figure has: title, axis labels, size in pixels and format.</summary>
public record PlotOptions
{
    /// <summary>Text above the plot; none when null.</summary>
    public string? Title { get; init; }

    /// <summary>Label of the horizontal axis.</summary>
    public string? XLabel { get; init; }

    /// <summary>Label of the vertical axis.</summary>
    public string? YLabel { get; init; }

    /// <summary>Figure width in pixels.</summary>
    public int Width { get; init; } = 640;

    /// <summary>Figure height in pixels.</summary>
    public int Height { get; init; } = 420;

    /// <summary>PNG or SVG; by default from the file extension.</summary>
    public PlotFormat Format { get; init; } = PlotFormat.Auto;
}

/// <summary>Line charts (training curves).</summary>
public sealed record LineOptions : PlotOptions
{
    /// <summary>Only whole numbers as ticks on x (epochs, steps).</summary>
    public bool IntegerX { get; init; }

    /// <summary>Marker size in pixels at each point; by default markers are drawn when a series has at most 60
    /// points, so a single epoch is still a visible point.</summary>
    public float? MarkerSize { get; init; }

    /// <summary>A logarithmic y axis (values must be positive).</summary>
    public bool LogY { get; init; }
}

/// <summary>Scatter plots coloured by class.</summary>
public sealed record ScatterOptions : PlotOptions
{
    /// <summary>Legend entry for label k; "k" when null or too short.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Marker diameter in pixels.</summary>
    public float MarkerSize { get; init; } = 6;
}

/// <summary>Histograms.</summary>
public sealed record HistogramOptions : PlotOptions
{
    /// <summary>Number of equal-width bins between the smallest and the largest value.</summary>
    public int Bins { get; init; } = 30;

    /// <summary>Overlay a Gaussian kernel density estimate (bandwidth by Silverman's rule); bars are then
    /// densities, so both share the y axis.</summary>
    public bool Density { get; init; } = true;
}

/// <summary>Colour scales for heatmaps and contour plots.</summary>
public enum Colormap
{
    /// <summary>Perceptually uniform dark blue → yellow (matplotlib's default).</summary>
    Viridis,

    /// <summary>White → dark blue, for counts such as confusion matrices.</summary>
    Blues,

    /// <summary>Blue → white → red, for signed values such as weights.</summary>
    Diverging,
}

/// <summary>Heatmaps: matrices with a colour bar.</summary>
public sealed record HeatmapOptions : PlotOptions
{
    /// <summary>Names of the rows, top to bottom.</summary>
    public IReadOnlyList<string>? RowLabels { get; init; }

    /// <summary>Names of the columns, left to right.</summary>
    public IReadOnlyList<string>? ColumnLabels { get; init; }

    /// <summary>Write each cell's value in it (confusion matrices).</summary>
    public bool Annotate { get; init; }

    /// <summary>The format of annotations (a .NET numeric format string).</summary>
    public string NumberFormat { get; init; } = "G4";

    /// <summary>The colour scale.</summary>
    public Colormap Colormap { get; init; } = Colormap.Viridis;
}

/// <summary>Contour plots of a function of two variables, with paths drawn over them.</summary>
public sealed record ContourOptions : PlotOptions
{
    /// <summary>Grid points along each axis at which the function is evaluated.</summary>
    public int Resolution { get; init; } = 120;

    /// <summary>Number of contour lines.</summary>
    public int Levels { get; init; } = 12;

    /// <summary>Shade and place the levels by log10(1 + z − min) (Rosenbrock-like valleys).</summary>
    public bool LogScale { get; init; }
}

/// <summary>How image values are mapped to grey levels.</summary>
public enum ImageNormalization
{
    /// <summary>Each image stretched from its own minimum (black) to maximum (white).</summary>
    PerImage,

    /// <summary>All images stretched by the minimum and maximum over the whole batch.</summary>
    Global,

    /// <summary>Values taken as already in [0, 1] and clamped.</summary>
    None,
}

/// <summary>Image grids (samples, filters, feature maps).</summary>
public sealed record ImageGridOptions
{
    /// <summary>Text above the grid.</summary>
    public string? Title { get; init; }

    /// <summary>Text under image i.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Images per row; by default ⌈√N⌉.</summary>
    public int? Columns { get; init; }

    /// <summary>Screen pixels per image pixel (nearest neighbour); by default the smallest whole factor that makes
    /// a tile at least 64 pixels high.</summary>
    public int? Scale { get; init; }

    /// <summary>How values become levels.</summary>
    public ImageNormalization Normalization { get; init; } = ImageNormalization.PerImage;

    /// <summary>PNG or SVG; by default from the file extension.</summary>
    public PlotFormat Format { get; init; } = PlotFormat.Auto;
}

/// <summary>One named line: points (X[i], Y[i]).</summary>
public sealed record Series(string Name, double[] X, double[] Y)
{
    /// <summary>Values per epoch, at x = 1, 2, …, n.</summary>
    public static Series PerEpoch(string name, IReadOnlyList<double> values) =>
        new(name, [.. Enumerable.Range(1, values.Count).Select(i => (double)i)], [.. values]);

    /// <summary>A 1-D tensor of values at x = 1, 2, …, n.</summary>
    public static Series PerEpoch(string name, Tensor values) => PerEpoch(name, Plots.Values(values, "Series"));
}
