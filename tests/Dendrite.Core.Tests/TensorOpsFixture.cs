using System.Globalization;
using System.Text.Json;

namespace Dendrite.Tests;

/// <summary>
/// Runs the cases of tests/fixtures/tensorops.json (written by tools/make_tensorops_fixtures.py with PyTorch) in
/// the format of ops.json (<see cref="OpCheck"/>), except that an op may return integer outputs beside floating
/// ones (Sort, TopK): their "r" entry is null and they take no part in the gradient. Each case checks the forward
/// values, torch's gradient of Σ f(x)·r, and central differences in float64 where the case asks for them.
/// </summary>
public static class TensorOpsFixture
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "tensorops.json"))));

    /// <summary>The fixture's header: generator script, torch version, seed.</summary>
    public static JsonElement Header => Document.Value.RootElement.GetProperty("header");

    /// <summary>Every case in file order.</summary>
    public static IEnumerable<JsonElement> Cases => Document.Value.RootElement.GetProperty("cases").EnumerateArray();

    /// <summary>Checks the case called <paramref name="name"/> with the op of the same key in
    /// <paramref name="ops"/>.</summary>
    public static void Run(string name, IReadOnlyDictionary<string, Func<Tensor[], Args, Tensor[]>> ops)
    {
        var c = Cases.First(e => e.GetProperty("name").GetString() == name);
        var f = ops[c.GetProperty("op").GetString()!];
        var args = new Args(c.GetProperty("args"));
        var inputs = c.GetProperty("inputs").EnumerateArray().ToArray();
        bool hasGrads = c.TryGetProperty("grads", out var grads);
        Tensor[] Forward(Tensor[] xs) => f(xs.Select((x, i) => View(x, inputs[i].GetProperty("view"))).ToArray(), args);

        var bases = inputs.Select(ToTensor).ToArray();
        if (hasGrads)
        {
            foreach (var b in bases.Where(b => b.DType.IsFloating())) b.RequireGrad();
        }
        var outs = Forward(bases);
        var expected = c.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.True(outs.Length == expected.Length, $"{name}: {outs.Length} outputs, torch gave {expected.Length}");
        for (int i = 0; i < outs.Length; i++) AssertClose(outs[i], expected[i], $"{name}: output {i}");
        if (!hasGrads) return;

        var rs = c.GetProperty("r").EnumerateArray()
            .Select(r => r.ValueKind == JsonValueKind.Null ? null : ToTensor(r)).ToArray();
        Tensor Weighted(Tensor[] os) => os.Zip(rs, (o, r) => r is null ? null : (o.To(r.DType) * r).Sum())
            .OfType<Tensor>().Aggregate((a, b) => a + b);
        Weighted(outs).Backward();
        var want = grads.EnumerateArray().ToArray();
        for (int i = 0; i < bases.Length; i++)
        {
            if (want[i].ValueKind == JsonValueKind.Null) continue;
            AssertClose(bases[i].Grad ?? Tensor.ZerosLike(bases[i]), want[i], $"{name}: gradient of input {i}");
        }
        if (!c.GetProperty("gradcheck").GetBoolean()) return;
        var fresh = inputs.Select(ToTensor).ToArray();
        var result = Gradcheck.Check(xs =>
        {
            var floating = Forward(xs).Where(o => o.DType.IsFloating()).Select(o => o.Reshape(-1)).ToArray();
            return floating.Length == 1 ? floating[0] : Tensor.Cat(floating);
        }, fresh);
        Assert.True(result.Passed, $"{name}: {result}");
    }

    /// <summary>A tensor from a fixture entry {shape, dtype, data}; non-finite floats are the strings
    /// "Infinity", "-Infinity" and "NaN".</summary>
    public static Tensor ToTensor(JsonElement e)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().ToArray();
        double Num(JsonElement v) => v.ValueKind == JsonValueKind.String
            ? double.Parse(v.GetString()!, CultureInfo.InvariantCulture)
            : v.GetDouble();
        return e.GetProperty("dtype").GetString() switch
        {
            "float32" => Tensor.From(data.Select(v => (float)Num(v)).ToArray(), shape),
            "float64" => Tensor.From(data.Select(Num).ToArray(), shape),
            "int64" => Tensor.From(data.Select(v => v.GetInt64()).ToArray(), shape),
            "bool" => Tensor.From(data.Select(v => v.GetInt32() != 0).ToArray(), shape),
            var d => throw new InvalidDataException($"tensorops.json: unknown dtype {d}"),
        };
    }

    /// <summary>Shape, dtype and values: exact for Int64, Bool and non-finite floats, OpCheck's float32 tolerance
    /// otherwise.</summary>
    public static void AssertClose(Tensor actual, JsonElement expected, string what)
    {
        var want = ToTensor(expected);
        Assert.True(Shapes.Equal(actual.Shape, want.Shape),
            $"{what}: shape {Shapes.Format(actual.Shape)}, torch {Shapes.Format(want.Shape)}");
        Assert.True(actual.DType == want.DType, $"{what}: dtype {actual.DType}, torch {want.DType}");
        double[] got = actual.ToArray<double>(), exp = want.ToArray<double>();
        for (int i = 0; i < exp.Length; i++)
        {
            bool ok = got[i].Equals(exp[i]) || (want.DType.IsFloating() && double.IsFinite(exp[i])
                && Math.Abs(got[i] - exp[i]) <= OpCheck.Atol + OpCheck.Rtol * Math.Abs(exp[i]));
            Assert.True(ok, string.Create(CultureInfo.InvariantCulture,
                $"{what}: element {i}: got {got[i]:R}, torch {exp[i]:R} (shape {Shapes.Format(want.Shape)})"));
        }
    }

    // The view steps of make_fixtures.py's apply_view that these cases use.
    private static Tensor View(Tensor t, JsonElement view)
    {
        foreach (var step in view.EnumerateArray())
        {
            var parts = step.EnumerateArray().ToArray();
            int[] a = parts.Skip(1).Select(p => p.GetInt32()).ToArray();
            t = parts[0].GetString() switch
            {
                "permute" => t.Permute(a),
                "transpose" => t.Transpose(a[0], a[1]),
                var k => throw new InvalidDataException($"tensorops.json: unsupported view step {k}"),
            };
        }
        return t;
    }

    /// <summary>Typed access to a case's "args" object.</summary>
    public readonly struct Args(JsonElement e)
    {
        public bool Has(string key) => e.TryGetProperty(key, out _);

        public int Int(string key) => e.GetProperty(key).GetInt32();

        public double Double(string key) => e.GetProperty(key).GetDouble();

        public bool Bool(string key) => e.GetProperty(key).GetBoolean();

        public string Str(string key) => e.GetProperty(key).GetString()!;

        public int[] Ints(string key) => e.GetProperty(key).EnumerateArray().Select(v => v.GetInt32()).ToArray();

        public double[] Doubles(string key) => e.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();
    }
}
