using System.Runtime.InteropServices;
using Dendrite.Data;

namespace Dendrite.Tests;

public class ByteImagesTests
{
    // Every byte value at least once, in an order that is not sorted, as (n, 1, 2, 3) images.
    private static ByteImages Images(int n, float[]? table = null)
    {
        var pixels = new byte[n * 6];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37 + 11);
        return new ByteImages(pixels, [n, 1, 2, 3], table);
    }

    // The float path FashionMnist.Load takes: bytes as floats, / 255, then (x - mean) / std, as tensor operations.
    private static Tensor FloatPath(ByteImages images)
    {
        var x = Tensor.From(images.Pixels.ToArray().Select(b => (float)b).ToArray(), [.. images.Shape]);
        return (x / 255.0 - FashionMnist.Mean) / FashionMnist.Std;
    }

    [Fact]
    public void Gather_MatchesTheFloatPath_BitForBit()
    {
        var images = Images(50, ByteImages.Table(255.0, FashionMnist.Mean, FashionMnist.Std));
        var expected = FloatPath(images).ToArray<float>();
        var all = images.ToTensor();
        Assert.Equal([50, 1, 2, 3], all.Shape.ToArray());
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits),
            all.ToArray<float>().Select(BitConverter.SingleToInt32Bits));
        var some = images.Gather([7, 0, 49, 7]).ToArray<float>();
        long[] rows = [7, 0, 49, 7];
        for (int i = 0; i < rows.Length; i++)
            Assert.Equal(expected.AsSpan((int)rows[i] * 6, 6).ToArray(), some.AsSpan(i * 6, 6).ToArray());
    }

    [Fact]
    public void DataLoader_OverBytes_GivesTheFloatLoadersBatches()
    {
        var images = Images(45, ByteImages.Table(255.0, FashionMnist.Mean, FashionMnist.Std));
        var x = FloatPath(images);
        var y = Tensor.Arange(45, DType.Int64);
        var floats = new DataLoader(x, y, 8, shuffle: true, generator: new Generator(5));
        var bytes = new DataLoader(images, y, 8, shuffle: true, generator: new Generator(5), prefetch: true);
        Assert.Equal(45, bytes.Length);
        Assert.Equal(floats.Count, bytes.Count);
        var a = floats.Select(b => (b.X.ToArray<float>(), b.Y.ToArray<long>())).ToList();
        var b = bytes.Select(b => (b.X.ToArray<float>(), b.Y.ToArray<long>())).ToList();
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Item1, b[i].Item1);
            Assert.Equal(a[i].Item2, b[i].Item2);
        }
        Assert.Equal(x.ToArray<float>(), bytes.Inputs.ToArray<float>());
    }

    [Fact]
    public void Split_OverBytes_PicksTheSameExamplesAsOverTensors()
    {
        var images = Images(60);
        var x = images.ToTensor();
        var y = Tensor.From(Enumerable.Range(0, 60).Select(i => (long)(i % 4)).ToArray());
        foreach (var stratify in new[] { null, y })
        {
            var (ft, fv) = Split.TrainValidation(x, y, 0.25, new Generator(3), stratify);
            var (bt, bv) = Split.TrainValidation(images, y, 0.25, new Generator(3), stratify);
            Assert.Equal(ft.X.ToArray<float>(), bt.X.ToTensor().ToArray<float>());
            Assert.Equal(fv.X.ToArray<float>(), bv.X.ToTensor().ToArray<float>());
            Assert.Equal(fv.Y.ToArray<long>(), bv.Y.ToArray<long>());
            Assert.Equal(15, bv.X.Count);
        }
    }

    [Fact]
    public void LoadBytes_EqualsLoad_OnFashionMnist()
    {
        // Debian's package when installed, else the subset bundled in the repository.
        var folder = FashionMnist.Locate();
        var (floats, labels) = FashionMnist.Load(folder, "t10k");
        var (bytes, byteLabels) = FashionMnist.LoadBytes(folder, "t10k");
        Assert.Equal(floats.Shape.ToArray(), bytes.Shape.ToArray());
        Assert.Equal(labels.ToArray<long>(), byteLabels.ToArray<long>());
        // Bit patterns compared whole (7.8 M pixels for Debian's test split).
        var expected = MemoryMarshal.Cast<float, int>(floats.ToArray<float>().AsSpan());
        var actual = MemoryMarshal.Cast<float, int>(bytes.ToTensor().ToArray<float>().AsSpan());
        Assert.True(expected.SequenceEqual(actual), "LoadBytes differs from Load");
        Assert.Equal(floats.Size(0) * 784L + 1024, bytes.MemoryBytes);
    }

    [Fact]
    public void Errors_NameTheShapesAndIndices()
    {
        var e = Assert.Throws<ArgumentException>(() => new ByteImages(new byte[10], [2, 1, 2, 3]));
        Assert.Contains("[2,1,2,3] needs 12 bytes, got 10", e.Message);
        var images = Images(3);
        var g = Assert.Throws<IndexOutOfRangeException>(() => images.Gather([0, 3]));
        Assert.Contains("example 3 is outside 0..2", g.Message);
        Assert.Throws<ArgumentException>(() => new ByteImages(new byte[6], [1, 6], new float[10]));
        var n = Assert.Throws<ArgumentException>(() => new DataLoader(images, Tensor.Zeros(DType.Int64, 4), 2));
        Assert.Contains("3 inputs but 4 targets", n.Message);
    }

    [Fact]
    public void ReadBytes_RefusesWiderElementTypes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dendrite-readbytes-{Guid.NewGuid():N}.idx");
        try
        {
            // An int32 IDX file (type 0x0C) of shape [1].
            File.WriteAllBytes(path, [0, 0, 0x0C, 1, 0, 0, 0, 1, 0, 0, 0, 7]);
            var e = Assert.Throws<DataFormatException>(() => Idx.ReadBytes(path));
            Assert.Contains("offset 2: element type 0x0c is not unsigned byte", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
