using System.Globalization;
using System.Text.Json;

namespace Dendrite.Tests;

/// <summary>
/// Runs the op cases of tests/fixtures/ops.json (written by tools/make_fixtures.py with PyTorch). Each case names
/// an op from <see cref="Ops"/>, its inputs (values, dtype, and a chain of views that makes them non-contiguous)
/// and its arguments. The check compares the forward outputs with torch's, the gradient of Σ f(x)·r with torch's
/// for the stored r, and the analytic gradient with central differences in float64 (<see cref="Gradcheck"/>).
/// </summary>
public static class OpCheck
{
    /// <summary>Float32 tolerance: |actual - expected| ≤ Atol + Rtol·|expected|.</summary>
    public const double Atol = 1e-5, Rtol = 1e-4;

    private static readonly Lazy<JsonDocument> Document = new(Load);

    /// <summary>The fixture's header: generator script, torch version, seed.</summary>
    public static JsonElement Header => Document.Value.RootElement.GetProperty("header");

    /// <summary>Every case, by name, in file order.</summary>
    public static IEnumerable<JsonElement> Cases => Document.Value.RootElement.GetProperty("cases").EnumerateArray();

    /// <summary>The case called <paramref name="name"/>.</summary>
    public static JsonElement Case(string name) =>
        Cases.FirstOrDefault(c => c.GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } c
            ? c
            : throw new KeyNotFoundException($"ops.json has no case named {name}");

    private static JsonDocument Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "ops.json");
        return JsonDocument.Parse(File.ReadAllText(path));
    }

    /// <summary>Checks one case: forward values, torch's gradients, and finite differences where the case
    /// asks for them.</summary>
    public static void Run(string name)
    {
        var c = Case(name);
        string op = c.GetProperty("op").GetString()!;
        var args = c.GetProperty("args");
        var inputs = c.GetProperty("inputs").EnumerateArray().ToArray();
        bool hasGrads = c.TryGetProperty("grads", out var grads);

        var bases = inputs.Select(ToTensor).ToArray();
        if (hasGrads)
        {
            foreach (var b in bases.Where(b => b.DType.IsFloating())) b.RequireGrad();
        }
        var outs = Forward(op, args, inputs, bases);
        var expected = c.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.True(outs.Length == expected.Length, $"{name}: {outs.Length} outputs, torch gave {expected.Length}");
        for (int i = 0; i < outs.Length; i++) AssertClose(outs[i], expected[i], $"{name}: output {i}");
        if (!hasGrads) return;

        var rs = c.GetProperty("r").EnumerateArray().Select(ToTensor).ToArray();
        var loss = outs.Zip(rs, (o, r) => (o * r).Sum()).Aggregate((a, b) => a + b);
        loss.Backward();
        var expectedGrads = grads.EnumerateArray().ToArray();
        for (int i = 0; i < bases.Length; i++)
        {
            if (expectedGrads[i].ValueKind == JsonValueKind.Null) continue;
            var g = bases[i].Grad ?? Tensor.ZerosLike(bases[i]);
            AssertClose(g, expectedGrads[i], $"{name}: gradient of input {i}");
        }

        if (!c.GetProperty("gradcheck").GetBoolean()) return;
        var fresh = inputs.Select(ToTensor).ToArray();
        var result = Gradcheck.Check(xs => Join(Forward(op, args, inputs, xs)), fresh);
        Assert.True(result.Passed, $"{name}: {result}");
    }

    private static Tensor[] Forward(string op, JsonElement args, JsonElement[] inputs, Tensor[] bases)
    {
        var views = new Tensor[bases.Length];
        for (int i = 0; i < bases.Length; i++) views[i] = ApplyView(bases[i], inputs[i].GetProperty("view"));
        return Ops[op](views, new Args(args));
    }

    /// <summary>Several outputs become one vector, so a single Gradcheck covers them all.</summary>
    private static Tensor Join(Tensor[] outs) =>
        outs.Length == 1 ? outs[0] : Tensor.Cat(outs.Select(o => o.Reshape(-1)).ToArray());

    /// <summary>A tensor from a fixture entry {shape, dtype, data}.</summary>
    public static Tensor ToTensor(JsonElement e)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray();
        return e.GetProperty("dtype").GetString() switch
        {
            "float32" => Tensor.From(data.Select(v => (float)v.GetDouble()).ToArray(), shape),
            "float64" => Tensor.From(data.Select(v => v.GetDouble()).ToArray(), shape),
            "int64" => Tensor.From(data.Select(v => v.GetInt64()).ToArray(), shape),
            "bool" => Tensor.From(data.Select(v => v.GetInt32() != 0).ToArray(), shape),
            var d => throw new InvalidDataException($"ops.json: unknown dtype {d}"),
        };
    }

    private static DType ParseDType(string? name) => name switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int64" => DType.Int64,
        "bool" => DType.Bool,
        _ => throw new InvalidDataException($"ops.json: unknown dtype {name}"),
    };

    /// <summary>The view chain of make_fixtures.py's apply_view: permute, transpose, expand, slice.</summary>
    private static Tensor ApplyView(Tensor t, JsonElement view)
    {
        foreach (var step in view.EnumerateArray())
        {
            var parts = step.EnumerateArray().ToArray();
            int[] a = parts.Skip(1).Select(p => p.GetInt32()).ToArray();
            t = parts[0].GetString() switch
            {
                "permute" => t.Permute(a),
                "transpose" => t.Transpose(a[0], a[1]),
                "expand" => t.Expand(a),
                "slice" => t.Slice(a[0], a[1], a[2], a[3]),
                var k => throw new InvalidDataException($"ops.json: unknown view step {k}"),
            };
        }
        return t;
    }

    /// <summary>Asserts shape, dtype and values (exact for Int64 and Bool, float32 tolerance otherwise).</summary>
    public static void AssertClose(Tensor actual, JsonElement expected, string what)
    {
        var want = ToTensor(expected);
        Assert.True(Shapes.Equal(actual.Shape, want.Shape),
            $"{what}: shape {Shapes.Format(actual.Shape)}, torch {Shapes.Format(want.Shape)}");
        Assert.True(actual.DType == want.DType, $"{what}: dtype {actual.DType}, torch {want.DType}");
        double[] got = actual.ToArray<double>(), exp = want.ToArray<double>();
        bool exact = !want.DType.IsFloating();
        for (int i = 0; i < exp.Length; i++)
        {
            double err = Math.Abs(got[i] - exp[i]);
            bool ok = exact ? got[i] == exp[i] : err <= Atol + Rtol * Math.Abs(exp[i]) || got[i].Equals(exp[i]);
            Assert.True(ok, string.Create(CultureInfo.InvariantCulture,
                $"{what}: element {i}: got {got[i]:R}, torch {exp[i]:R} (shape {Shapes.Format(want.Shape)})"));
        }
    }

    /// <summary>Typed access to a case's "args" object.</summary>
    public readonly struct Args(JsonElement e)
    {
        public bool Has(string key) => e.TryGetProperty(key, out _);

        public int Int(string key) => e.GetProperty(key).GetInt32();

        public double Double(string key) => e.GetProperty(key).GetDouble();

        public double? OptDouble(string key) => Has(key) ? Double(key) : null;

        public bool Bool(string key) => e.GetProperty(key).GetBoolean();

        public int[] Ints(string key) => e.GetProperty(key).EnumerateArray().Select(v => v.GetInt32()).ToArray();

        public DType DType(string key) => ParseDType(e.GetProperty(key).GetString());
    }

    private static Tensor[] One(Tensor t) => [t];

    private static Func<Tensor[], Args, Tensor[]> Reduce(
        Func<Tensor, Tensor> all, Func<Tensor, int[], bool, Tensor> axes) =>
        (x, a) => One(a.Has("axes") ? axes(x[0], a.Ints("axes"), a.Bool("keep")) : all(x[0]));

    /// <summary>Each op key of make_fixtures.py, written with the Dendrite API.</summary>
    public static readonly IReadOnlyDictionary<string, Func<Tensor[], Args, Tensor[]>> Ops =
        new Dictionary<string, Func<Tensor[], Args, Tensor[]>>
        {
            ["arange"] = (x, a) => One(Tensor.Arange(a.Double("start"), a.Double("end"), a.Double("step"),
                a.DType("dtype"))),
            ["linspace"] = (x, a) => One(Tensor.Linspace(a.Double("start"), a.Double("end"), a.Int("steps"),
                a.DType("dtype"))),
            ["eye"] = (x, a) => One(Tensor.Eye(a.Int("n"), a.Int("m"), a.DType("dtype"))),
            ["full"] = (x, a) => One(Tensor.Full(a.Double("value"), a.DType("dtype"), a.Ints("shape"))),
            ["zeros_like"] = (x, a) => One(Tensor.ZerosLike(x[0])),
            ["ones_like"] = (x, a) => One(Tensor.OnesLike(x[0])),

            ["add"] = (x, a) => One(x[0] + x[1]),
            ["sub"] = (x, a) => One(x[0] - x[1]),
            ["mul"] = (x, a) => One(x[0] * x[1]),
            ["div"] = (x, a) => One(x[0] / x[1]),
            ["pow"] = (x, a) => One(x[0].Pow(x[1])),
            ["maximum"] = (x, a) => One(x[0].Maximum(x[1])),
            ["minimum"] = (x, a) => One(x[0].Minimum(x[1])),
            ["floordiv"] = (x, a) => One(x[0].FloorDiv(x[1])),
            ["add_s"] = (x, a) => One(x[0] + a.Double("s")),
            ["sub_s"] = (x, a) => One(x[0] - a.Double("s")),
            ["rsub_s"] = (x, a) => One(a.Double("s") - x[0]),
            ["mul_s"] = (x, a) => One(x[0] * a.Double("s")),
            ["div_s"] = (x, a) => One(x[0] / a.Double("s")),
            ["rdiv_s"] = (x, a) => One(a.Double("s") / x[0]),
            ["pow_s"] = (x, a) => One(x[0].Pow(a.Double("s"))),

            ["neg"] = (x, a) => One(-x[0]),
            ["exp"] = (x, a) => One(x[0].Exp()),
            ["log"] = (x, a) => One(x[0].Log()),
            ["sqrt"] = (x, a) => One(x[0].Sqrt()),
            ["abs"] = (x, a) => One(x[0].Abs()),
            ["sign"] = (x, a) => One(x[0].Sign()),
            ["tanh"] = (x, a) => One(x[0].Tanh()),
            ["sigmoid"] = (x, a) => One(x[0].Sigmoid()),
            ["relu"] = (x, a) => One(x[0].Relu()),
            ["clamp"] = (x, a) => One(x[0].Clamp(a.OptDouble("min"), a.OptDouble("max"))),
            ["floor"] = (x, a) => One(x[0].Floor()),
            ["ceil"] = (x, a) => One(x[0].Ceil()),
            ["round"] = (x, a) => One(x[0].Round()),
            ["to"] = (x, a) => One(x[0].To(a.DType("dtype"))),
            ["clone"] = (x, a) => One(x[0].Clone()),
            ["contiguous"] = (x, a) => One(x[0].Contiguous()),

            ["eq"] = (x, a) => One(x[0].Eq(x[1])),
            ["ne"] = (x, a) => One(x[0].Ne(x[1])),
            ["lt"] = (x, a) => One(x[0].Lt(x[1])),
            ["le"] = (x, a) => One(x[0].Le(x[1])),
            ["gt"] = (x, a) => One(x[0].Gt(x[1])),
            ["ge"] = (x, a) => One(x[0].Ge(x[1])),
            ["eq_s"] = (x, a) => One(x[0].Eq(a.Double("s"))),
            ["lt_s"] = (x, a) => One(x[0].Lt(a.Double("s"))),
            ["gt_s"] = (x, a) => One(x[0].Gt(a.Double("s"))),
            ["and"] = (x, a) => One(x[0].And(x[1])),
            ["or"] = (x, a) => One(x[0].Or(x[1])),
            ["xor"] = (x, a) => One(x[0].Xor(x[1])),
            ["not"] = (x, a) => One(x[0].Not()),
            ["where"] = (x, a) => One(Tensor.Where(x[0], x[1], x[2])),
            ["masked_fill"] = (x, a) => One(x[0].MaskedFill(x[1], a.Double("value"))),

            ["sum"] = Reduce(t => t.Sum(), (t, ax, k) => t.Sum(ax, k)),
            ["mean"] = Reduce(t => t.Mean(), (t, ax, k) => t.Mean(ax, k)),
            ["max"] = Reduce(t => t.Max(), (t, ax, k) => t.Max(ax, k)),
            ["min"] = Reduce(t => t.Min(), (t, ax, k) => t.Min(ax, k)),
            ["var"] = (x, a) => One(x[0].Var(a.Ints("axes"), a.Bool("keep"), a.Int("correction"))),
            ["std"] = (x, a) => One(x[0].Std(a.Ints("axes"), a.Bool("keep"), a.Int("correction"))),
            ["logsumexp"] = (x, a) => One(x[0].LogSumExp(a.Ints("axes"), a.Bool("keep"))),
            ["argmax"] = (x, a) => One(x[0].ArgMax(a.Int("axis"), a.Bool("keep"))),
            ["argmin"] = (x, a) => One(x[0].ArgMin(a.Int("axis"), a.Bool("keep"))),
            ["argmax_all"] = (x, a) => One(x[0].ArgMax()),
            ["softmax"] = (x, a) => One(x[0].Softmax(a.Int("axis"))),
            ["log_softmax"] = (x, a) => One(x[0].LogSoftmax(a.Int("axis"))),

            ["matmul"] = (x, a) => One(x[0].MatMul(x[1])),

            ["cat"] = (x, a) => One(Tensor.Cat(x, a.Int("dim"))),
            ["stack"] = (x, a) => One(Tensor.Stack(x, a.Int("dim"))),
            ["split_sizes"] = (x, a) => x[0].Split(a.Ints("sizes"), a.Int("dim")),
            ["split_size"] = (x, a) => x[0].Split(a.Int("size"), a.Int("dim")),
            ["chunk"] = (x, a) => x[0].Chunk(a.Int("chunks"), a.Int("dim")),
            ["gather"] = (x, a) => One(x[0].Gather(a.Int("dim"), x[1])),
            ["scatter_add"] = (x, a) => One(x[0].ScatterAdd(a.Int("dim"), x[1], x[2])),
            ["scatter"] = (x, a) => One(x[0].Scatter(a.Int("dim"), x[1], x[2])),
            ["index_select"] = (x, a) => One(x[0].IndexSelect(a.Int("dim"), x[1])),
            ["one_hot"] = (x, a) => One(x[0].OneHot(a.Int("n"))),
            ["pad"] = (x, a) => One(x[0].Pad(a.Ints("pad"), a.Double("value"))),

            ["reshape"] = (x, a) => One(x[0].Reshape(a.Ints("shape"))),
            ["flatten"] = (x, a) => One(x[0].Flatten(a.Int("start"), a.Int("end"))),
            ["permute"] = (x, a) => One(x[0].Permute(a.Ints("dims"))),
            ["transpose"] = (x, a) => One(x[0].Transpose(a.Int("d0"), a.Int("d1"))),
            ["t"] = (x, a) => One(x[0].T),
            ["unsqueeze"] = (x, a) => One(x[0].Unsqueeze(a.Int("dim"))),
            ["squeeze"] = (x, a) => One(a.Has("dim") ? x[0].Squeeze(a.Int("dim")) : x[0].Squeeze()),
            ["expand"] = (x, a) => One(x[0].Expand(a.Ints("shape"))),
            ["slice"] = (x, a) => One(x[0].Slice(a.Int("dim"), a.Int("start"), a.Int("end"), a.Int("step"))),
            ["narrow"] = (x, a) => One(x[0].Narrow(a.Int("dim"), a.Int("start"), a.Int("length"))),
            ["select"] = (x, a) => One(x[0].Select(a.Int("dim"), a.Int("index"))),
        };
}
