using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;

namespace Dendrite.Data.Tests;

/// <summary>Hostile IDX and CSV files of issue 19: small files that would expand into gigabytes, and CSV errors
/// that named the wrong line or let an overflow through.</summary>
public sealed class UntrustedDataTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-untrusted-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // A gzip IDX: magic 0x0000 08 01, one big-endian size, then `dataBytes` zero bytes.
    private string GzipIdx(int count, long dataBytes)
    {
        string path = Path.Combine(dir, $"u8-{count}-{dataBytes}.idx.gz");
        using var f = File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        var head = new byte[8];
        head[2] = 0x08;
        head[3] = 1;
        BinaryPrimitives.WriteInt32BigEndian(head.AsSpan(4), count);
        gz.Write(head);
        var zeros = new byte[1 << 20];
        for (long left = dataBytes; left > 0; left -= zeros.Length)
            gz.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        return path;
    }

    private static (T Result, long Allocated, TimeSpan Took) Measure<T>(Func<T> f)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var r = f();
        return (r, GC.GetAllocatedBytesForCurrentThread() - before, watch.Elapsed);
    }

    [Fact]
    public void GzipIdxClaimingOneElementDecompressesOnlyThatElement()
    {
        // 256 MB of zeros after a one-element header: about 250 KB compressed.
        string path = GzipIdx(1, 256L << 20);
        var (t, allocated, took) = Measure(() => Idx.Read(path));
        Assert.Equal([1], t.Shape.ToArray());
        Assert.True(allocated < 8L << 20, $"{allocated:N0} bytes allocated");
        Assert.True(took < TimeSpan.FromSeconds(5), $"{took}");
    }

    [Fact]
    public void GzipIdxOfTwoToThe30ElementsIsRefusedFromItsHeader()
    {
        string path = GzipIdx(1 << 30, 1 << 20);
        var (e, allocated, _) = Measure(() => Assert.Throws<DataFormatException>(() => Idx.Read(path)));
        Assert.StartsWith(path + ": offset 4: ", e.Message);
        Assert.Contains("maxBytes", e.Message);
        Assert.True(allocated < 8L << 20, $"{allocated:N0} bytes allocated");
        // A caller who allows the size gets the real problem: the data is not all there.
        var short_ = Assert.Throws<DataFormatException>(() => Idx.Read(path, maxBytes: 16L << 30));
        Assert.Contains("needs 1073741824 bytes", short_.Message);
    }

    [Fact]
    public void RawIdxIsBoundedByMaxBytesToo()
    {
        var bytes = new byte[8 + 1000];
        bytes[2] = 0x08;
        bytes[3] = 1;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 1000);
        Assert.Equal(1000, Idx.Parse("x.idx", bytes).Numel);
        var e = Assert.Throws<DataFormatException>(() => Idx.Parse("x.idx", bytes, maxBytes: 7999));
        Assert.Contains("8,000 bytes", e.Message);
        Assert.Equal(1000, Idx.Parse("x.idx", bytes, asFloat: true, maxBytes: 4000).Numel);
    }

    [Fact]
    public void CsvLineOfCommasStopsAtTheColumnLimit()
    {
        string text = new(',', 2 << 20);
        var (e, allocated, _) = Measure(() => Assert.Throws<DataFormatException>(() => CsvTable.Parse("commas.csv",
            text)));
        Assert.Contains("commas.csv: line 1: more than 1048576 fields", e.Message);
        Assert.True(allocated < 64L << 20, $"{allocated:N0} bytes allocated");
        var budget = Assert.Throws<DataFormatException>(() => CsvTable.Parse("rows.csv",
            string.Concat(Enumerable.Repeat("1,2,3\n", 1000)), maxBytes: 10_000));
        Assert.Contains("rows.csv: line ", budget.Message);
        Assert.Contains("maxBytes", budget.Message);
    }

    [Fact]
    public void CsvErrorsNameTheLineAcrossBlankLinesAndQuotedNewlines()
    {
        string text = "a,b\n\n\"x\ny\",1\n\n2,oops\n";
        var table = CsvTable.Parse("lines.csv", text);
        var e = Assert.Throws<DataFormatException>(() => table.ToTensor("b"));
        Assert.Contains("lines.csv: line 6 (row 2), column 'b': 'oops' is not a number", e.Message);
    }

    [Fact]
    public void CsvNumberPastFloat32IsAnErrorButAWrittenInfinityIsNot()
    {
        var e = Assert.Throws<DataFormatException>(() => CsvTable.Parse("big.csv", "v\n1e39\n").ToTensor());
        Assert.Contains("big.csv: line 2 (row 1), column 'v': '1e39' is outside the float32 range", e.Message);
        var inf = CsvTable.Parse("inf.csv", "v\nInfinity\n-Infinity\n").ToTensor().ToArray<float>();
        Assert.Equal([float.PositiveInfinity, float.NegativeInfinity], inf);
    }
}
