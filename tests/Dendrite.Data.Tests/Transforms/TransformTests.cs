using System.Text.Json;
using Dendrite.Data;
using Dendrite.Data.Transforms;

namespace Dendrite.Tests;

public class TransformTests
{
    private static readonly JsonElement Fixture = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "affine.json"))).RootElement;

    private static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetSingle())];

    private static float[] Ramp(int n, Generator g) => [.. Enumerable.Range(0, n).Select(_ => (float)g.NextDouble())];

    [Fact]
    public void Affine_MatchesTorchvisionAndGridSample()
    {
        var dims = Fixture.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var shape = new ImageShape(dims[0], dims[1], dims[2]);
        var image = Floats(Fixture.GetProperty("image"));
        foreach (var c in Fixture.GetProperty("cases").EnumerateArray())
        {
            var t = c.GetProperty("translate");
            var shear = c.GetProperty("shear");
            var m = Affine.InverseMatrix(c.GetProperty("angle").GetDouble(), t[0].GetDouble(), t[1].GetDouble(),
                c.GetProperty("scale").GetDouble(), shear[0].GetDouble(), shear[1].GetDouble());
            var expectedMatrix = c.GetProperty("inverse_matrix").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int k = 0; k < 6; k++) Assert.Equal(expectedMatrix[k], m[k], 1e-9);
            var fill = Enum.Parse<FillMode>(c.GetProperty("fill").GetString()!, ignoreCase: true);
            var value = c.GetProperty("value").GetSingle();
            var output = (float[])image.Clone();
            Affine.Resample(output, shape, m, fill, value);
            var expected = Floats(c.GetProperty("output"));
            for (int k = 0; k < expected.Length; k++) Assert.True(Math.Abs(expected[k] - output[k]) < 2e-5,
                $"{c}: element {k}: {output[k]} vs {expected[k]}");
            if (fill == FillMode.Constant && value == 0)
            {
                var tv = Floats(c.GetProperty("torchvision"));
                for (int k = 0; k < tv.Length; k++) Assert.True(Math.Abs(tv[k] - output[k]) < 2e-5);
            }
        }
    }

    [Theory]
    [InlineData(FillMode.Constant)]
    [InlineData(FillMode.Nearest)]
    [InlineData(FillMode.Reflect)]
    [InlineData(FillMode.Wrap)]
    public void RandomCrop_EqualsWholePixelTranslation(FillMode fill)
    {
        var shape = new ImageShape(2, 5, 6);
        var image = Ramp(shape.Size, new Generator(1));
        var crop = new RandomCrop(3, fill, 0.25f);
        for (ulong seed = 0; seed < 20; seed++)
        {
            var g = new Generator(seed);
            int dy = (int)g.NextInt64(0, 7) - 3, dx = (int)g.NextInt64(0, 7) - 3;
            var cropped = (float[])image.Clone();
            crop.Apply(cropped, shape, new Generator(seed));
            // Output (i, j) = input (i + dy, j + dx): the affine map with translation (−dx, −dy).
            var shifted = (float[])image.Clone();
            Affine.Resample(shifted, shape, Affine.InverseMatrix(0, -dx, -dy), fill, 0.25f);
            for (int k = 0; k < image.Length; k++) Assert.Equal(shifted[k], cropped[k], 1e-6f);
        }
    }

    [Fact]
    public void Fill_ModesGiveTheTextbookBorders()
    {
        // One row a b c d shifted right by three pixels: the first three outputs come from outside.
        var shape = new ImageShape(1, 1, 4);
        float[] row = [1, 2, 3, 4];
        float[] Shift(FillMode mode)
        {
            var r = (float[])row.Clone();
            Affine.Resample(r, shape, Affine.InverseMatrix(0, translateX: 3), mode, 9);
            return r;
        }
        Assert.Equal([9f, 9, 9, 1], Shift(FillMode.Constant));
        Assert.Equal([1f, 1, 1, 1], Shift(FillMode.Nearest));
        Assert.Equal([3f, 2, 1, 1], Shift(FillMode.Reflect));
        Assert.Equal([2f, 3, 4, 1], Shift(FillMode.Wrap));
    }

    [Fact]
    public void Flips_MirrorAndUndoThemselves()
    {
        var shape = new ImageShape(2, 3, 4);
        var image = Ramp(shape.Size, new Generator(2));
        var h = (float[])image.Clone();
        new HorizontalFlip(1).Apply(h, shape, new Generator(0));
        var v = (float[])image.Clone();
        new VerticalFlip(1).Apply(v, shape, new Generator(0));
        for (int c = 0; c < 2; c++)
        {
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    int at = c * 12 + i * 4 + j;
                    Assert.Equal(image[c * 12 + i * 4 + (3 - j)], h[at]);
                    Assert.Equal(image[c * 12 + (2 - i) * 4 + j], v[at]);
                }
            }
        }
        new HorizontalFlip(1).Apply(h, shape, new Generator(0));
        Assert.Equal(image, h);
        var never = (float[])image.Clone();
        new Compose(new HorizontalFlip(0), new VerticalFlip(0)).Apply(never, shape, new Generator(0));
        Assert.Equal(image, never);
    }

    [Fact]
    public void RandomErasing_WritesOneRectangleOfTheAskedArea()
    {
        var shape = new ImageShape(3, 20, 30);
        var erase = new RandomErasing { Probability = 1, Value = -7 };
        var g = new Generator(5);
        for (int trial = 0; trial < 30; trial++)
        {
            var image = Ramp(shape.Size, g);
            erase.Apply(image, shape, g);
            var rows = new HashSet<int>();
            var cols = new HashSet<int>();
            for (int c = 0; c < 3; c++)
            {
                for (int k = 0; k < shape.Plane; k++)
                {
                    if (image[c * shape.Plane + k] != -7) continue;
                    rows.Add(k / 30);
                    cols.Add(k % 30);
                }
            }
            int count = image.Count(x => x == -7);
            Assert.Equal(3 * rows.Count * cols.Count, count); // a full rectangle in every channel
            double area = (double)rows.Count * cols.Count / shape.Plane;
            Assert.InRange(area, 0.01, 0.40); // 0.02–0.33 before rounding the sides
        }
    }

    [Fact]
    public void BrightnessContrast_ScalesAndKeepsTheMeanUnderContrast()
    {
        var shape = new ImageShape(1, 8, 8);
        var image = Ramp(shape.Size, new Generator(3));
        double mean = image.Average();
        var contrast = (float[])image.Clone();
        var contrastOnly = new BrightnessContrast { Brightness = 0, Contrast = 0.5, Range = null };
        contrastOnly.Apply(contrast, shape, new Generator(4));
        Assert.Equal(mean, contrast.Average(), 1e-5);
        Assert.NotEqual(image, contrast);
        var clipped = (float[])image.Clone();
        new BrightnessContrast { Brightness = 0.9, Contrast = 0.9 }.Apply(clipped, shape, new Generator(6));
        Assert.All(clipped, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void GaussianNoise_HasTheAskedSpread()
    {
        var shape = new ImageShape(1, 100, 100);
        var image = new float[shape.Size];
        new GaussianNoise(0.3).Apply(image, shape, new Generator(7));
        double sd = Math.Sqrt(image.Select(v => (double)v * v).Average());
        Assert.InRange(sd, 0.29, 0.31);
    }

    [Fact]
    public void SameSeed_SameAugmentation()
    {
        var pipeline = new Compose(new HorizontalFlip(), RandomAffine.Rotation(15, FillMode.Reflect),
            new RandomCrop(2), new RandomErasing(), new BrightnessContrast(), new GaussianNoise(0.05));
        var batch = Tensor.Rand([6, 1, 12, 12], new Generator(8));
        var a = pipeline.Apply(batch, new Generator(42)).ToArray<float>();
        var b = pipeline.Apply(batch, new Generator(42)).ToArray<float>();
        var c = pipeline.Apply(batch, new Generator(43)).ToArray<float>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(batch.ToArray<float>(), a);
    }

    [Fact]
    public void FlatBatch_FailsNamingTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new HorizontalFlip().Apply(Tensor.Zeros(4, 784), new Generator(0)));
        Assert.Contains(Shapes.Format([4, 784]), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DataLoader_AugmentsEachBatchAndLeavesTheDataAlone(bool prefetch)
    {
        var x = Tensor.Rand([20, 1, 6, 6], new Generator(9));
        var y = Tensor.Arange(20, DType.Int64);
        var before = x.ToArray<float>();
        DataLoader Loader(ulong seed) => new(x, y, 7, shuffle: true, generator: new Generator(1), prefetch: prefetch)
        {
            Transform = new HorizontalFlip(1),
            TransformGenerator = new Generator(seed),
        };
        var plain = new DataLoader(x, y, 7, shuffle: true, generator: new Generator(1));
        var flipped = Loader(1).Select(b => (b.X.Clone(), b.Y.Clone())).ToList();
        var raw = plain.Select(b => (b.X.Clone(), b.Y.Clone())).ToList();
        Assert.Equal(raw.Count, flipped.Count);
        for (int k = 0; k < raw.Count; k++)
        {
            Assert.Equal(raw[k].Item2.ToArray<long>(), flipped[k].Item2.ToArray<long>()); // same order
            var r = raw[k].Item1.ToArray<float>();
            var f = flipped[k].Item1.ToArray<float>();
            for (int row = 0; row < r.Length / 6; row++)
                Assert.Equal(r.AsSpan(row * 6, 6).ToArray().Reverse(), f.AsSpan(row * 6, 6).ToArray());
        }
        Assert.Equal(before, x.ToArray<float>());
    }
}
