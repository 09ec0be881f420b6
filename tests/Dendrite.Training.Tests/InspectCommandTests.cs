using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using Dendrite.Cli;
using Dendrite.IO;

namespace Dendrite.Tests;

/// <summary><c>dendrite inspect</c> and <c>dendrite onnx run</c>: valid files are described, hostile ones of
/// issue 19 end quickly with the library's one-line error and exit code 1.</summary>
[Collection("console")]
public sealed class InspectCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-inspect-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static (int Code, string Out, string Error) Cli(params string[] args)
    {
        var watch = Stopwatch.StartNew();
        var result = ConsoleCli.Run(args);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{string.Join(' ', args)} took {watch.Elapsed}");
        return result;
    }

    private static void Fails((int Code, string Out, string Error) r, params string[] parts)
    {
        Assert.Equal(1, r.Code);
        Assert.StartsWith("error: ", r.Error);
        foreach (var p in parts) Assert.Contains(p, r.Error);
    }

    [Fact]
    public void ValidFilesAreDescribed()
    {
        string st = Path.Combine(dir, "w.safetensors");
        Safetensors.Save(st, new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros(2, 3) });
        var r = Cli("inspect", st);
        Assert.Equal(0, r.Code);
        Assert.Contains("w: Float32 [2,3]", r.Out);
        string pb = Path.Combine(dir, "t.pb");
        OnnxTensor.Save(Tensor.Arange(0, 6, 1).Reshape(2, 3), "t", pb);
        Assert.Contains("ONNX tensor Float32 [2,3]", Cli("inspect", pb).Out);
        Assert.Contains("CSV, 2 rows, 2 columns: a, b", Cli("inspect", Write("t.csv", "a,b\n1,2\n3,4\n"u8.ToArray()))
            .Out);
        Assert.Contains("PNG image 4x2", Cli("inspect", Write("i.png", Image.EncodePng(Tensor.Zeros(3, 2, 4)))).Out);
    }

    [Fact]
    public void HostileFilesEndWithOneErrorAndExitCode1()
    {
        Fails(Cli("inspect", Write("six.onnx", [0x42, 0xFF, 0xFF, 0xFF, 0xFF, 0x07])), "six.onnx", "offset");
        Fails(Cli("onnx", "run", Path.Combine(dir, "six.onnx"), "--random-inputs"), "six.onnx");
        // An IDX gzip whose header claims 2³⁰ elements.
        var idx = new byte[8];
        idx[2] = 0x08;
        idx[3] = 1;
        BinaryPrimitives.WriteInt32BigEndian(idx.AsSpan(4), 1 << 30);
        using var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(idx);
        Fails(Cli("inspect", Write("big.idx.gz", gz.ToArray())), "maxBytes");
        Fails(Cli("inspect", Write("commas.csv", System.Text.Encoding.ASCII.GetBytes(new string(',', 2 << 20)))),
            "more than 1048576 fields");
        Fails(Cli("inspect", Write("bad.safetensors", [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', 1, 2])), "bad.safetensors");
        Fails(Cli("inspect", Write("what.bin", [0x00, 0x01, 0x02, 0x03, 0x04])), "not a format dendrite reads");
    }

    [Fact]
    public void OnnxRunPrintsOutputShapesWithRandomInputs()
    {
        const string relu = "/usr/share/libonnx-testdata/data/node/test_relu/model.onnx";
        if (!File.Exists(relu)) return;
        var r = Cli("onnx", "run", relu, "--random-inputs");
        Assert.True(r.Code == 0, r.Error);
        Assert.Contains("y: Float32 [3,4,5]", r.Out);
        Assert.Contains("ran in", r.Out);
        Fails(Cli("onnx", "run", relu), "input 'x' is not given");
        var info = Cli("inspect", relu);
        Assert.Contains("input x: Float32 [3,4,5]", info.Out);
        Assert.Contains("1 nodes: Relu ×1", info.Out);
    }
}
