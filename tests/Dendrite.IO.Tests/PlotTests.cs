using System.Xml.Linq;

namespace Dendrite.IO.Tests;

public sealed class PlotTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-plots-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string File(string name) => Path.Combine(dir, name);

    // Decodes a written figure and checks its size, that it is not blank, and that no temporary file is left.
    private static float[] Decoded(string path, int width, int height)
    {
        var image = Image.Load(path, new ImageReadOptions(ImageColor.Rgb, Scale: false));
        Assert.Equal([3, height, width], image.Shape.ToArray());
        var v = image.ToArray<float>();
        int n = width * height;
        var colours = new HashSet<(float, float, float)>();
        for (int i = 0; i < n; i++) colours.Add((v[i], v[n + i], v[2 * n + i]));
        Assert.True(colours.Count > 8, $"{path}: only {colours.Count} distinct colours");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
        return v;
    }

    // Pixels of exactly the colour #rrggbb.
    private static int CountColour(float[] v, int width, int height, string hex)
    {
        int r = Convert.ToInt32(hex[1..3], 16), g = Convert.ToInt32(hex[3..5], 16), b = Convert.ToInt32(hex[5..7], 16);
        int n = width * height, count = 0;
        for (int i = 0; i < n; i++)
        {
            if (v[i] == r && v[n + i] == g && v[2 * n + i] == b) count++;
        }
        return count;
    }

    private static void IsSvg(string path)
    {
        var root = XDocument.Load(path).Root!;
        Assert.Equal("svg", root.Name.LocalName);
    }

    [Fact]
    public void Line_DrawsEachSeriesInItsColour()
    {
        var train = Series.PerEpoch("train", [2.3, 1.1, 0.7, 0.5, 0.42]);
        var valid = Series.PerEpoch("validation", Tensor.From([2.2f, 1.3f, 0.9f, 0.8f, 0.79f], 5));
        var options = new LineOptions { Title = "loss", XLabel = "epoch", YLabel = "loss", IntegerX = true };
        Plots.Line(File("loss.png"), [train, valid], options);
        var v = Decoded(File("loss.png"), 640, 420);
        Assert.True(CountColour(v, 640, 420, Plots.Palette[0]) > 100, "train series colour missing");
        Assert.True(CountColour(v, 640, 420, Plots.Palette[1]) > 100, "validation series colour missing");
        Plots.Line(File("loss.svg"), [train, valid], options);
        IsSvg(File("loss.svg"));
    }

    [Fact]
    public void Line_OneEpochIsStillAVisiblePoint()
    {
        var options = new LineOptions { IntegerX = true, Width = 300, Height = 200 };
        Plots.Line(File("one.png"), [Series.PerEpoch("train", [0.9])], options);
        var v = Decoded(File("one.png"), 300, 200);
        Assert.True(CountColour(v, 300, 200, Plots.Palette[0]) >= 12, "a single point must be drawn as a marker");
    }

    [Fact]
    public void Line_LeavesOutMissingValues()
    {
        // Validation absent in the first epoch (an empty CSV cell), and a series with no value at all.
        var valid = Series.PerEpoch("validation", [double.NaN, 0.8, 0.7]);
        var none = Series.PerEpoch("test", [double.NaN, double.NaN, double.NaN]);
        Plots.Line(File("gaps.png"), [Series.PerEpoch("train", [0.9, 0.7, 0.6]), valid, none]);
        var v = Decoded(File("gaps.png"), 640, 420);
        Assert.True(CountColour(v, 640, 420, Plots.Palette[1]) > 50, "validation series missing");
        Assert.Equal(0, CountColour(v, 640, 420, Plots.Palette[2]));
        var e = Assert.Throws<ArgumentException>(() => Plots.Line(File("none.png"), [none]));
        Assert.Contains("no series has a finite point", e.Message);
    }

    [Fact]
    public void Line_LogAxisRefusesNonPositiveValues()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Plots.Line(File("log.png"), [Series.PerEpoch("loss", [1, 0])], new LineOptions { LogY = true }));
        Assert.Contains("'loss'", e.Message);
        Plots.Line(File("log.png"), [Series.PerEpoch("loss", [10, 1, 0.1])], new LineOptions { LogY = true });
        Decoded(File("log.png"), 640, 420);
    }

    [Fact]
    public void Scatter_ColoursEachClass()
    {
        var rng = new Random(1);
        var points = Tensor.From([.. Enumerable.Range(0, 200).Select(_ => (float)rng.NextDouble())], 100, 2);
        var labels = Tensor.From([.. Enumerable.Range(0, 100).Select(i => (long)(i % 3))], 100);
        Plots.Scatter(File("scatter.png"), points, labels, new ScatterOptions { ClassNames = ["a", "b", "c"] });
        var v = Decoded(File("scatter.png"), 640, 420);
        for (int k = 0; k < 3; k++) Assert.True(CountColour(v, 640, 420, Plots.Palette[k]) > 50, $"class {k}");
        Plots.Scatter(File("scatter.svg"), points, labels);
        IsSvg(File("scatter.svg"));
        var e = Assert.Throws<ArgumentException>(() => Plots.Scatter(File("x.png"), Tensor.Zeros(4, 3), labels));
        Assert.Contains("[4,3]", e.Message.Replace(" ", ""));
    }

    [Fact]
    public void Histogram_DrawsBarsAndDensity()
    {
        var rng = new Random(2);
        var values = Enumerable.Range(0, 1000).Select(_ => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) *
            Math.Cos(2 * Math.PI * rng.NextDouble())).ToArray();
        Plots.Histogram(File("hist.png"), values, new HistogramOptions { Title = "weights", Bins = 40 });
        var v = Decoded(File("hist.png"), 640, 420);
        Assert.True(CountColour(v, 640, 420, Plots.Palette[1]) > 50, "density line missing");
        Plots.Histogram(File("hist.svg"), Tensor.From([.. values.Select(x => (float)x)], 1000));
        IsSvg(File("hist.svg"));
    }

    [Fact]
    public void Heatmap_PutsRowZeroAtTheTop()
    {
        // Row 0 high, row 1 low: the top half of the plot area is the bright end of the scale.
        var square = new HeatmapOptions { Width = 400, Height = 400 };
        Plots.Heatmap(File("heat.png"), new double[,] { { 1, 1 }, { 0, 0 } }, square);
        var v = Decoded(File("heat.png"), 400, 400);
        int n = 400 * 400;
        double Brightness(int y, int x) => v[y * 400 + x] + v[n + y * 400 + x] + v[2 * n + y * 400 + x];
        // Plot area centre column, a quarter from the top and from the bottom.
        Assert.True(Brightness(130, 180) > Brightness(290, 180) + 100,
            $"top {Brightness(130, 180)}, bottom {Brightness(290, 180)}");
        Plots.Heatmap(File("attention.svg"), Tensor.From([.. Enumerable.Range(0, 16).Select(i => i / 16f)], 4, 4),
            new HeatmapOptions { RowLabels = ["a", "b", "c", "d"], ColumnLabels = ["a", "b", "c", "d"] });
        IsSvg(File("attention.svg"));
        var e = Assert.Throws<ArgumentException>(() =>
            Plots.Heatmap(File("h.png"), Tensor.Zeros(2, 3), new HeatmapOptions { RowLabels = ["x"] }));
        Assert.Contains("1 labels for 2 rows", e.Message);
    }

    [Fact]
    public void ConfusionMatrix_WritesALabelledMatrix()
    {
        var counts = Tensor.From(new long[] { 50, 2, 3, 4, 40, 6, 1, 0, 45 }, 3, 3);
        Plots.ConfusionMatrix(File("cm.png"), counts, ["cat", "dog", "bird"]);
        Decoded(File("cm.png"), 640, 420);
        var e = Assert.Throws<ArgumentException>(() => Plots.ConfusionMatrix(File("cm.png"), counts, ["a", "b"]));
        Assert.Contains("(2, 2) counts for 2 classes, got [3, 3]".Replace(" ", ""), e.Message.Replace(" ", ""));
    }

    [Fact]
    public void Bar_DrawsNamedBars()
    {
        var options = new PlotOptions { YLabel = "accuracy" };
        Plots.Bar(File("bar.png"), ["sgd", "momentum", "adam"], [0.91, 0.93, 0.95], options);
        var v = Decoded(File("bar.png"), 640, 420);
        Assert.True(CountColour(v, 640, 420, Plots.Palette[0]) > 1000, "bars missing");
        Plots.Bar(File("bar.svg"), ["a"], [1.0]);
        IsSvg(File("bar.svg"));
    }

    [Fact]
    public void Contour_DrawsRosenbrockWithAPath()
    {
        static double Rosenbrock(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
        var path = new Series("gradient descent", [-1.5, -1.0, -0.2, 0.5, 0.9, 1.0], [2.0, 0.9, 0.1, 0.25, 0.8, 1.0]);
        var options = new ContourOptions { LogScale = true, Resolution = 60, Title = "Rosenbrock" };
        Plots.Contour(File("rosen.png"), Rosenbrock, (-2, 2), (-1, 3), [path], options);
        var v = Decoded(File("rosen.png"), 640, 420);
        Assert.True(CountColour(v, 640, 420, Plots.Palette[1]) > 30, "path colour missing");
        Plots.Contour(File("rosen.svg"), Rosenbrock, (-2, 2), (-1, 3), [path], options);
        IsSvg(File("rosen.svg"));
    }

    [Fact]
    public void ImageGrid_TilesImagesWithLabels()
    {
        var rng = new Random(4);
        var images = Tensor.From([.. Enumerable.Range(0, 6 * 28 * 28).Select(_ => (float)rng.NextDouble())], 6, 28, 28);
        var options = new ImageGridOptions { Labels = ["0", "1", "2", "3", "4", "5"], Columns = 3, Title = "samples" };
        Plots.ImageGrid(File("grid.png"), images, options);
        // Scale 3 (28·3 = 84 ≥ 64): 3 columns of 84 + 4 gaps of 6; 2 rows of 84 + 18 label + 6 gap, 28 title.
        var v = Decoded(File("grid.png"), 6 + 3 * 90, 28 + 2 * 108);
        Assert.Equal(255, v[0]);
        Plots.ImageGrid(File("grid.svg"), images, options);
        IsSvg(File("grid.svg"));
        var rgb = Tensor.From([.. Enumerable.Range(0, 4 * 3 * 8 * 8).Select(i => (float)(i % 17))], 4, 3, 8, 8);
        var global = new ImageGridOptions { Normalization = ImageNormalization.Global, Scale = 4 };
        Plots.ImageGrid(File("rgb.png"), rgb, global);
        Decoded(File("rgb.png"), 6 + 2 * 38, 6 + 2 * 38);
        var e = Assert.Throws<ArgumentException>(() => Plots.ImageGrid(File("g.png"), Tensor.Zeros(2, 2, 5, 5)));
        Assert.Contains("[2,2,5,5]", e.Message.Replace(" ", ""));
    }

    [Fact]
    public void Save_FormatFollowsTheExtensionOrTheOption()
    {
        var s = Series.PerEpoch("x", [1, 2]);
        Plots.Line(File("figure.data"), [s], new LineOptions { Format = PlotFormat.Svg });
        IsSvg(File("figure.data"));
        var e = Assert.Throws<ArgumentException>(() => Plots.Line(File("figure.jpg"), [s]));
        Assert.Contains("'.jpg'", e.Message);
    }
}
