using System.Buffers.Binary;
using System.IO.Compression;

namespace Dendrite.Data.Tests;

public sealed class IdxTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-idx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    // magic 0x0000 TT NN, NN big-endian int32 sizes, then data.
    private static byte[] Header(byte type, params int[] dims)
    {
        var b = new byte[4 + 4 * dims.Length];
        b[2] = type;
        b[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        return b;
    }

    private DataFormatException Bad(byte[] bytes, string fragment)
    {
        string path = PathOf("bad.idx");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(fragment, e.Message);
        return e;
    }

    [Theory]
    [InlineData("images.idx")]
    [InlineData("images.idx.gz")]
    public void WriteBytes_RoundTrips(string name)
    {
        var t = Tensor.From(Enumerable.Range(0, 2 * 3 * 4).Select(i => (long)(i * 11 % 256)).ToArray(), 2, 3, 4);
        string path = PathOf(name);
        Idx.WriteBytes(path, t);
        var back = Idx.Read(path);
        Assert.Equal(t.Shape.ToArray(), back.Shape.ToArray());
        Assert.Equal(t.ToArray<long>(), back.ToArray<long>());
        Assert.Equal(t.ToArray<long>().Select(v => (float)v), Idx.Read(path, asFloat: true).ToArray<float>());
        if (name.EndsWith(".gz", StringComparison.Ordinal)) Assert.Equal(0x1f, File.ReadAllBytes(path)[0]);
    }

    [Fact]
    public void Parse_EveryElementTypeBigEndian()
    {
        var s16 = new byte[] { 0xFF, 0xFE, 0x01, 0x00 };
        Assert.Equal([-2L, 256L], Idx.Parse("x", [.. Header(0x0B, 2), .. s16]).ToArray<long>());
        Assert.Equal([-1L, 5L], Idx.Parse("x", [.. Header(0x09, 2), 0xFF, 0x05]).ToArray<long>());
        Assert.Equal([-2L], Idx.Parse("x", [.. Header(0x0C, 1), 0xFF, 0xFF, 0xFF, 0xFE]).ToArray<long>());
        var f = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(f, 1.25f);
        Assert.Equal([1.25f], Idx.Parse("x", [.. Header(0x0D, 1), .. f]).ToArray<float>());
        var d = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(d, -0.1);
        Assert.Equal([-0.1], Idx.Parse("x", [.. Header(0x0E, 1), .. d]).ToArray<double>());
    }

    [Fact]
    public void Read_TruncatedAtEveryCut()
    {
        string good = PathOf("good.idx");
        Idx.WriteBytes(good, Tensor.From(new long[30], 5, 6));
        var bytes = File.ReadAllBytes(good);
        for (int n = 0; n < bytes.Length; n++)
        {
            var e = Bad(bytes[..n], "offset");
            if (n >= 12) Assert.Contains("offset 12: data of shape [5,6] needs 30 bytes", e.Message);
        }
    }

    [Fact]
    public void Read_HeaderFieldsNameOffsetAndField()
    {
        Bad([0, 1, 8, 1, 0, 0, 0, 0], "offset 0: magic must start with two zero bytes, found 0x0001");
        Bad([0, 0, 0x0A, 1, 0, 0, 0, 0], "offset 2: unknown element type 0x0a");
        Bad([0, 0, 8, 3, 0, 0, 0, 1], "offset 4: 3 dimension sizes need 12 bytes, file has 4");
        Bad(Header(0x08, 2, -5), "offset 8: dimension 1 is negative (-5)");
        Bad(Header(0x08, 65536, 65536), "offset 8: shape [65536,65536] is too large");
        Bad([.. Header(0x0E, 3), .. new byte[16]], "offset 8: data of shape [3] needs 24 bytes, file has 16");
    }

    [Fact]
    public void Read_GzipCorruption()
    {
        string good = PathOf("good.idx.gz");
        Idx.WriteBytes(good, Tensor.From(Enumerable.Range(0, 200).Select(i => (long)(i % 7)).ToArray(), 200));
        var gz = File.ReadAllBytes(good);
        // Keep the 10-byte gzip header; 0xFF bytes start a deflate block of the reserved type 3.
        var corrupt = (byte[])gz.Clone();
        for (int i = 10; i < corrupt.Length; i++) corrupt[i] = 0xFF;
        Bad(corrupt, "corrupt gzip stream");
        // A truncated archive either fails to inflate or yields too few bytes; both are format errors.
        for (int n = 2; n < gz.Length - 8; n += 3)
        {
            string path = PathOf("cut.idx.gz");
            File.WriteAllBytes(path, gz[..n]);
            var e = Assert.Throws<DataFormatException>(() => Idx.Read(path));
            Assert.StartsWith(path + ": ", e.Message);
        }
    }

    [Fact]
    public void Read_GzipBombIsStopped()
    {
        string path = PathOf("bomb.idx.gz");
        using (var f = File.Create(path))
        using (var z = new GZipStream(f, CompressionLevel.SmallestSize))
        {
            z.Write(Header(0x08, 1 << 30));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) z.Write(zeros);
        }
        Assert.True(new FileInfo(path).Length < 4 << 20);
        // Refused from the header: 2³⁰ elements as Int64 pass the default maxBytes, so nothing is decompressed.
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Contains("maxBytes", e.Message);
    }

    [Fact]
    public void Read_GarbageNeverThrowsAnotherException()
    {
        var gen = new Random(4);
        string path = PathOf("garbage.idx");
        for (int i = 0; i < 300; i++)
        {
            var b = new byte[gen.Next(0, 64)];
            gen.NextBytes(b);
            if (i % 2 == 0 && b.Length >= 4) (b[0], b[1], b[2], b[3]) = (0, 0, 8, (byte)gen.Next(0, 4));
            File.WriteAllBytes(path, b);
            try
            {
                Idx.Read(path);
            }
            catch (DataFormatException e)
            {
                Assert.StartsWith(path + ": ", e.Message);
            }
        }
    }

    [Fact]
    public void FashionMnist_MismatchedLabelCountIsNamed()
    {
        Idx.WriteBytes(PathOf("train-images-idx3-ubyte"), Tensor.From(new long[3 * 28 * 28], 3, 28, 28));
        Idx.WriteBytes(PathOf("train-labels-idx1-ubyte.gz"), Tensor.From(new long[2], 2));
        var e = Assert.Throws<DataFormatException>(() => FashionMnist.Load(dir, "train"));
        Assert.Contains("train-labels-idx1-ubyte.gz: [2] labels for 3 images", e.Message);
        Idx.WriteBytes(PathOf("t10k-images-idx3-ubyte"), Tensor.From(new long[3 * 28 * 27], 3, 28, 27));
        Idx.WriteBytes(PathOf("t10k-labels-idx1-ubyte"), Tensor.From(new long[3], 3));
        var s = Assert.Throws<DataFormatException>(() => FashionMnist.Load(dir, "t10k"));
        Assert.Contains("expected images of shape [N,28,28], found [3,28,27]", s.Message);
    }
}
