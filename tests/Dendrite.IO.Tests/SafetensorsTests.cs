using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Dendrite.IO.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-st-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    private static Dictionary<string, Tensor> Sample() => new()
    {
        ["b"] = Tensor.From([true, false, true], 3),
        ["d"] = Tensor.From([0.1, -2.5, 1e300, double.Epsilon], 2, 2),
        ["f"] = Tensor.From([1.5f, -0.25f, float.NaN, float.NegativeInfinity, 3e-38f, 7f], 2, 3),
        ["l"] = Tensor.From([long.MinValue, -1L, 0L, long.MaxValue], 4),
        ["scalar"] = Tensor.Scalar(4.25, DType.Float32),
        ["empty"] = Tensor.Zeros(DType.Float32, 0, 3),
    };

    // A file from a header object and raw data bytes, laid out as the format requires.
    private string Raw(string name, string header, byte[] data, long? claimedLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(claimedLength ?? h.Length));
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        string path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static SafetensorsFormatException Bad(string path)
    {
        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Save_RoundTripsEveryDTypeShapeAndMetadata()
    {
        string path = PathOf("all.safetensors");
        var meta = new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "ünïcode \"quoted\"" };
        Safetensors.Save(path, Sample(), meta);
        var (t, m) = Safetensors.Load(path);
        Assert.Equal(meta, m);
        foreach (var (name, expected) in Sample())
        {
            var actual = t[name];
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
            switch (expected.DType)
            {
                case DType.Float32: Assert.Equal(expected.ToArray<float>(), actual.ToArray<float>()); break;
                case DType.Float64: Assert.Equal(expected.ToArray<double>(), actual.ToArray<double>()); break;
                case DType.Int64: Assert.Equal(expected.ToArray<long>(), actual.ToArray<long>()); break;
                default: Assert.Equal(expected.ToArray<bool>(), actual.ToArray<bool>()); break;
            }
        }
        // The data starts 8-byte aligned.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes) % 8);
    }

    [Fact]
    public void Save_WritesNonContiguousViewsInLogicalOrder()
    {
        string path = PathOf("view.safetensors");
        var t = Tensor.Arange(0, 6, 1, DType.Float32).Reshape(2, 3).T;
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["t"] = t });
        Assert.Equal(t.Contiguous().ToArray<float>(), Safetensors.Load(path).Tensors["t"].ToArray<float>());
    }

    [Fact]
    public void Load_DecodesNarrowTypesAsTorchDoes()
    {
        // tests/fixtures/io/dtypes.* come from tools/make_io_fixtures.py.
        string dirOf = Path.Combine(AppContext.BaseDirectory, "fixtures", "io");
        var (t, meta) = Safetensors.Load(Path.Combine(dirOf, "dtypes.safetensors"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dirOf, "dtypes.json")));
        var e = doc.RootElement;
        Assert.Equal("make_io_fixtures.py", meta["source"]);
        foreach (var s in e.GetProperty("shapes").EnumerateObject())
            Assert.Equal(s.Value.EnumerateArray().Select(d => d.GetInt32()).ToArray(), t[s.Name].Shape.ToArray());
        foreach (string f in new[] { "f16", "bf16" })
        {
            Assert.Equal(DType.Float32, t[f].DType);
            var want = e.GetProperty(f).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Assert.Equal(want, t[f].ToArray<float>());
        }
        Assert.True(float.IsNegative(t["f16"].ToArray<float>()[6]), "F16 -0 keeps its sign");
        foreach (string i in new[] { "i32", "u8", "i8", "i16", "u32" })
        {
            Assert.Equal(DType.Int64, t[i].DType);
            Assert.Equal(e.GetProperty(i).EnumerateArray().Select(v => v.GetInt64()).ToArray(), t[i].ToArray<long>());
        }
        Assert.Equal(e.GetProperty("f64").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
            t["f64"].ToArray<double>());
        Assert.Equal(e.GetProperty("bool").EnumerateArray().Select(v => v.GetBoolean()).ToArray(),
            t["bool"].ToArray<bool>());
    }

    [Fact]
    public void Load_TruncatedAtEveryCutGivesFormatError()
    {
        string good = PathOf("good.safetensors");
        Safetensors.Save(good, Sample(), new Dictionary<string, string> { ["k"] = "v" });
        var bytes = File.ReadAllBytes(good);
        string cut = PathOf("cut.safetensors");
        for (int n = 0; n < bytes.Length; n++)
        {
            File.WriteAllBytes(cut, bytes[..n]);
            var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(cut));
            Assert.Contains(cut, e.Message);
        }
    }

    [Fact]
    public void Load_GarbageBytesGiveFormatErrors()
    {
        var gen = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[gen.Next(0, 300)];
            gen.NextBytes(bytes);
            // Half of them claim a plausible header length, so the JSON parser sees garbage too.
            if (i % 2 == 0 && bytes.Length >= 8)
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)gen.Next(0, bytes.Length - 7));
            string path = PathOf($"garbage{i}.safetensors");
            File.WriteAllBytes(path, bytes);
            Bad(path);
        }
    }

    [Fact]
    public void Load_FlippedBytesNeverThrowAnotherException()
    {
        string good = PathOf("flip.safetensors");
        Safetensors.Save(good, Sample());
        var bytes = File.ReadAllBytes(good);
        var gen = new Random(9);
        string path = PathOf("flipped.safetensors");
        for (int i = 0; i < 300; i++)
        {
            var copy = (byte[])bytes.Clone();
            int at = gen.Next(0, Math.Min(copy.Length, 8 + 400));
            copy[at] = (byte)gen.Next(256);
            File.WriteAllBytes(path, copy);
            try
            {
                Safetensors.Load(path);
            }
            catch (SafetensorsFormatException e)
            {
                Assert.Contains(path, e.Message);
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48 }, "a PNG image")]
    [InlineData(new byte[] { 0x50, 0x4B, 3, 4, 20, 0, 0, 0, 8, 0, 1, 2, 3, 4 }, "a zip archive")]
    [InlineData(new byte[] { 0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4 }, "a gzip file")]
    [InlineData(new byte[] { 0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8 }, "a Python pickle")]
    [InlineData(new byte[] { 0x74, 0x65, 0x6E, 0x73, 0x6F, 0x72, 0x73, 0x20, 0x68, 0x65, 0x72, 0x65 }, "a text file")]
    [InlineData(new byte[] { 0x08, 0x07, 0x12, 0x07, 0x70, 0x79, 0x74, 0x6F, 0x72, 0x63, 0x68, 0x1A }, "a protobuf message")]
    [InlineData(new byte[] { 0xC3, 0x01, 0xFE }, "no known format")]
    public void Load_OtherFormatIsNamed(byte[] bytes, string kind)
    {
        string path = Path.Combine(dir, "other.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
        Assert.Contains("not a safetensors file", e.Message);
        Assert.Contains(kind, e.Message);
        Assert.DoesNotContain("exceeds the file", e.Message);
    }

    [Fact]
    public void Load_HeaderLongerThanFile()
    {
        var e = Bad(Raw("long.safetensors", "{}", [], claimedLength: 1000));
        Assert.Contains("offset 0", e.Message);
        Assert.Contains("header length 1000", e.Message);
        Bad(Raw("huge.safetensors", "{}", [], claimedLength: long.MaxValue));
    }

    [Fact]
    public void Load_GapOverlapAndTrailingBytes()
    {
        const string A = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":";
        const string B = "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":";
        var gap = Bad(Raw("gap.safetensors", "{" + A + "[0,4]}," + B + "[8,12]}}", new byte[12]));
        Assert.Contains("'b'", gap.Message);
        Assert.Contains("gap or overlap", gap.Message);
        var overlap = Bad(Raw("overlap.safetensors", "{" + A + "[0,4]}," + B + "[2,6]}}", new byte[6]));
        Assert.Contains("gap or overlap", overlap.Message);
        var past = Bad(Raw("past.safetensors", "{" + A + "[0,4]}}", new byte[2]));
        Assert.Contains("only 2 data bytes", past.Message);
        var trailing = Bad(Raw("trailing.safetensors", "{" + A + "[0,4]}}", new byte[9]));
        Assert.Contains("5 bytes after the last tensor", trailing.Message);
        var twice = Bad(Raw("twice.safetensors", "{" + A + "[0,4]}," + A + "[4,8]}}", new byte[8]));
        Assert.Contains("appears twice", twice.Message);
    }

    [Theory]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", "needs 24")]
    [InlineData("{\"t\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,1]}}", "unsupported type 'Q7'")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "invalid dimension -1")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", "invalid dimension")]
    [InlineData("{\"t\":{\"dtype\":\"U8\",\"shape\":[65536,65536],\"data_offsets\":[0,1]}}", "too many elements")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "invalid range")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}", "invalid range")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "data_offsets")]
    [InlineData("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "'dtype' missing")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "'shape' missing")]
    [InlineData("{\"t\":[1,2]}", "not an object")]
    [InlineData("[1,2,3]", "not a JSON object")]
    [InlineData("{\"t\":", "not valid JSON")]
    [InlineData("{\"__metadata__\":[1]}", "unexpected structure")]
    public void Load_BadHeaderNamesTheField(string header, string fragment)
    {
        var e = Bad(Raw("bad.safetensors", header, new byte[4]));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Load_JsonNestingBombIsRejected()
    {
        string deep = new string('[', 100_000) + new string(']', 100_000);
        var e = Bad(Raw("bomb.safetensors", "{\"__metadata__\":{\"x\":" + deep + "}}", []));
        Assert.Contains("offset 8", e.Message);
    }

    [Fact]
    public void AtomicWrite_ThatFailsMidwayLeavesTheOldFile()
    {
        string path = PathOf("model.safetensors");
        Safetensors.Save(path, Sample());
        var before = File.ReadAllBytes(path);
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir));
    }

    [Fact]
    public void Save_WithATensorThatFailsWhileWritingLeavesTheOldFile()
    {
        string path = PathOf("ckpt.safetensors");
        Safetensors.Save(path, Sample());
        var before = File.ReadAllBytes(path);
        Tensor dead;
        using (TensorScope.Begin())
        {
            dead = Tensor.Ones(4, 4) * 2;
        }
        // "a" is written first (names are sorted), then reading "z"'s released storage throws.
        var tensors = new Dictionary<string, Tensor> { ["a"] = Tensor.Ones(1000), ["z"] = dead };
        Assert.Throws<InvalidOperationException>(() => Safetensors.Save(path, tensors));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir));
    }

    [Fact]
    public void Save_OverADirectoryFailsAfterTheTempFileAndLeavesNoTempFile()
    {
        string target = PathOf("occupied");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "inside.txt"), "kept");
        Assert.ThrowsAny<IOException>(() => Safetensors.Save(target, Sample()));
        Assert.Empty(Directory.GetFiles(dir));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(target, "inside.txt")));
    }

    [Fact]
    public void Save_RejectsTheReservedName()
    {
        string path = PathOf("reserved.safetensors");
        var tensors = new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) };
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, tensors));
        Assert.False(File.Exists(path));
    }
}
