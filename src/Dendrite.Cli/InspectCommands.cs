using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;

namespace Dendrite.Cli;

/// <summary><c>dendrite inspect FILE</c> (validates any supported file and prints what it holds) and
/// <c>dendrite onnx run MODEL</c> (runs a model on given or random inputs). A bad file prints its one library
/// error and exits 1.</summary>
internal static class InspectCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Adds <c>inspect</c> to the root and <c>run</c> to the <c>onnx</c> command.</summary>
    public static void Register(RootCommand root)
    {
        var file = new Argument<string>("file")
        {
            Description = "safetensors, checkpoint, ONNX model (.onnx) or tensor (.pb), PNG/JPEG/BMP/GIF/WebP, " +
                "IDX (raw or .gz), CSV",
        };
        var inspect = new Command("inspect", "validate a file and print what it holds");
        inspect.Arguments.Add(file);
        inspect.SetAction(parse => Guard(() => Inspect(parse.GetValue(file)!)));
        root.Subcommands.Add(inspect);

        var model = new Argument<string>("model") { Description = "the .onnx file" };
        var inputs = new Option<string[]>("--input")
        {
            Description = "NAME=FILE.pb, a TensorProto for one input (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var random = new Option<bool>("--random-inputs")
        {
            Description = "fill inputs not given with random values shaped from the declared shapes (unknown dims 1)",
        };
        var run = new Command("run", "run an ONNX model and print its output shapes and the time taken");
        run.Arguments.Add(model);
        run.Options.Add(inputs);
        run.Options.Add(random);
        run.SetAction(parse => Guard(() => RunModel(parse.GetValue(model)!, parse.GetValue(inputs) ?? [],
            parse.GetValue(random))));
        var onnx = root.Subcommands.First(c => c.Name == "onnx");
        onnx.Subcommands.Add(run);
    }

    // Library errors are the file's fault: one line, exit 1.
    private static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is OnnxFormatException or OnnxUnsupportedException or SafetensorsFormatException
            or DataFormatException or ImageFormatException or IOException or UnauthorizedAccessException
            or ArgumentException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static string Kind(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
        {
            case ".safetensors" or ".ckpt": return "safetensors";
            case ".onnx": return "onnx";
            case ".pb": return "tensor";
            case ".png" or ".jpg" or ".jpeg" or ".bmp" or ".gif" or ".webp": return "image";
            case ".csv": return "csv";
            case ".idx" or ".gz": return "idx";
        }
        Span<byte> head = stackalloc byte[FileSignature.Length];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        if (n >= 9 && head[8] == (byte)'{') return "safetensors";
        if (FileSignature.IsIdx(head) || head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B])) return "idx";
        string? what = FileSignature.Describe(head);
        if (what is not null && what.EndsWith("image", StringComparison.Ordinal)) return "image";
        if (what is not null && what.StartsWith("a protobuf", StringComparison.Ordinal)) return "onnx";
        if (what == "a text file") return "csv";
        throw new ArgumentException($"{path}: not a format dendrite reads ({what ?? "unknown content"})");
    }

    private static int Inspect(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        switch (Kind(path))
        {
            case "safetensors":
                {
                    var (tensors, meta) = Safetensors.Load(path);
                    bool checkpoint = meta.GetValueOrDefault("format") == "dendrite-checkpoint/1";
                    Console.WriteLine($"{path}: {(checkpoint ? "Trainer checkpoint" : "safetensors")}, " +
                        $"{tensors.Count} tensors");
                    foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                        Console.WriteLine($"  {name}: {t.DType} {Shapes.Format(t.Shape)}");
                    foreach (var (k, v) in meta.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                        Console.WriteLine($"  metadata {k} = {v}");
                    return 0;
                }
            case "onnx":
                {
                    var model = OnnxModel.Load(path);
                    Console.WriteLine($"{path}: ONNX model, opset {model.Opset}");
                    foreach (var name in model.InputNames)
                    {
                        var (dtype, shape) = model.DeclaredInput(name);
                        Console.WriteLine($"  input {name}: {dtype} {FormatDims(shape)}");
                    }
                    foreach (var name in model.OutputNames) Console.WriteLine($"  output {name}");
                    var ops = model.Operators;
                    Console.WriteLine($"  {ops.Count} nodes: " + string.Join(", ", ops.GroupBy(o => o)
                        .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                        .Select(g => $"{g.Key} ×{g.Count()}")));
                    if (model.FirstUnsupportedOp() is { } op) Console.WriteLine($"  unsupported operator: {op}");
                    return 0;
                }
            case "tensor":
                {
                    var t = OnnxTensor.Load(path);
                    Console.WriteLine($"{path}: ONNX tensor {t.DType} {Shapes.Format(t.Shape)}");
                    return 0;
                }
            case "image":
                {
                    var bytes = File.ReadAllBytes(path);
                    var (w, h, format, channels) = Image.ReadHeader(path, bytes);
                    var t = Image.Decode(path, bytes);
                    Console.WriteLine($"{path}: {format.ToString().ToUpperInvariant()} image {w}x{h}, " +
                        $"{channels} channel(s) stored, " +
                        $"decodes to {Shapes.Format(t.Shape)}");
                    return 0;
                }
            case "csv":
                {
                    var table = CsvTable.Load(path);
                    Console.WriteLine($"{path}: CSV, {table.Rows.Count} rows, {table.Header.Count} columns: " +
                        string.Join(", ", table.Header.Take(20)) + (table.Header.Count > 20 ? ", …" : ""));
                    return 0;
                }
            default:
                {
                    var t = Idx.Read(path);
                    Console.WriteLine($"{path}: IDX {t.DType} {Shapes.Format(t.Shape)}");
                    return 0;
                }
        }
    }

    private static string FormatDims(long[]? shape) =>
        shape is null ? "(no shape)" : "[" + string.Join(",", shape.Select(d => d < 0 ? "?" : d.ToString(Inv))) + "]";

    private static int RunModel(string path, string[] given, bool random)
    {
        var model = OnnxModel.Load(path);
        var feed = new Dictionary<string, Tensor>();
        foreach (var spec in given)
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"--input {spec}: expected NAME=FILE.pb");
            feed[spec[..eq]] = OnnxTensor.Load(spec[(eq + 1)..]);
        }
        var gen = new Generator(0);
        foreach (var name in model.InputNames)
        {
            if (feed.ContainsKey(name)) continue;
            if (!random)
                throw new ArgumentException($"{path}: input '{name}' is not given (--input or --random-inputs)");
            var (dtype, shape) = model.DeclaredInput(name);
            var dims = (shape ?? [1]).Select(d => d is >= 1 and <= int.MaxValue ? (int)d : 1).ToArray();
            long count = dims.Aggregate(1L, (a, d) => a > 1L << 26 ? a : a * d);
            if (count > 1 << 26)
                throw new ArgumentException($"{path}: input '{name}' declares {FormatDims(shape)}, more than " +
                    $"{1L << 26:N0} elements; give it with --input");
            feed[name] = dtype switch
            {
                DType.Int64 => Tensor.Randint(0, 4, dims, gen),
                DType.Bool => Tensor.Rand(dims, gen).Gt(0.5),
                _ => Tensor.Randn(dims, gen).To(dtype),
            };
        }
        var watch = Stopwatch.StartNew();
        var outputs = model.Run(feed);
        watch.Stop();
        for (int i = 0; i < outputs.Length; i++)
            Console.WriteLine($"{model.OutputNames[i]}: {outputs[i].DType} {Shapes.Format(outputs[i].Shape)}");
        Console.WriteLine($"ran in {watch.Elapsed.TotalMilliseconds.ToString("F1", Inv)} ms");
        return 0;
    }
}
