using System.Globalization;
using System.Text.Json;

namespace Dendrite.Tests.Linalg;

/// <summary>
/// Runs every case of tests/fixtures/linalg.json (written by tools/make_linalg_fixtures.py with torch.linalg): the
/// forward values, torch's gradient of Σ r·output for the differentiable ops, and a float64 finite-difference check
/// of the same function. Factors with an arbitrary sign are compared in the sign-free forms the script describes.
/// </summary>
public class LinalgFixtureTests
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "linalg.json"))));

    private static IEnumerable<JsonElement> Cases => Document.Value.RootElement.GetProperty("cases").EnumerateArray();

    /// <summary>The C# twin of each op key of the script.</summary>
    private static readonly Dictionary<string, Func<Tensor[], Tensor[]>> Ops = BuildOps();

    // Ops that read only the lower triangle of a symmetric input: the finite-difference check goes through
    // (X + Xᵀ)/2 so that perturbing either triangle moves the input the way the symmetric gradient assumes.
    private static readonly HashSet<string> Symmetric = ["cholesky", "cholesky_upper", "eigh", "eigvalsh"];

    public static TheoryData<string> Names => [.. Cases.Select(c => c.GetProperty("name").GetString()!)];

    [Fact]
    public void Fixture_NamesItsGenerator()
    {
        var header = Document.Value.RootElement.GetProperty("header");
        Assert.Equal("tools/make_linalg_fixtures.py", header.GetProperty("generator").GetString());
        Assert.Equal(Ops.Count, Cases.Select(c => c.GetProperty("op").GetString()).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Linalg_MatchesTorch(string name)
    {
        var c = Cases.First(e => e.GetProperty("name").GetString() == name);
        string op = c.GetProperty("op").GetString()!;
        bool f32 = c.GetProperty("dtype").GetString() == "float32";
        double atol = f32 ? 2e-4 : 1e-9, rtol = f32 ? 2e-3 : 1e-7;
        var f = Ops[op];
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(e => ToTensor(e, f32)).ToArray();
        bool hasGrads = c.TryGetProperty("grads", out var grads);
        if (hasGrads)
        {
            foreach (var x in inputs) x.RequireGrad();
        }
        var outs = f(inputs);
        var expected = c.GetProperty("outputs").EnumerateArray().Select(e => ToTensor(e, f32)).ToArray();
        Assert.Equal(expected.Length, outs.Length);
        for (int i = 0; i < outs.Length; i++)
        {
            if (op == "eigvals") AssertSameSet(outs, expected, atol, rtol, name);
            else AssertClose(outs[i], expected[i], atol, rtol, $"{name}: output {i}");
        }
        if (!hasGrads) return;

        var rs = c.GetProperty("r").EnumerateArray()
            .Select(r => r.ValueKind == JsonValueKind.Null ? null : ToTensor(r, f32)).ToArray();
        Weighted(outs, rs).Backward();
        var want = grads.EnumerateArray().Select(e => ToTensor(e, f32)).ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            AssertClose(inputs[i].Grad!, want[i], atol * 10, rtol * 10, $"{name}: gradient of input {i}");
        }
        if (f32) return;
        var fresh = c.GetProperty("inputs").EnumerateArray().Select(e => ToTensor(e, false)).ToArray();
        var result = Gradcheck.Check(xs =>
        {
            if (Symmetric.Contains(op)) xs = [0.5 * (xs[0] + xs[0].T)];
            return Weighted(f(xs), rs.Select(r => r?.To(DType.Float64)).ToArray());
        }, fresh);
        Assert.True(result.Passed, $"{name}: {result}");
    }

    private static Tensor Weighted(Tensor[] outs, Tensor?[] rs) =>
        outs.Zip(rs, (o, r) => r is null ? null : (o * r).Sum()).OfType<Tensor>().Aggregate((a, b) => a + b);

    private static Dictionary<string, Func<Tensor[], Tensor[]>> BuildOps()
    {
        var ops = new Dictionary<string, Func<Tensor[], Tensor[]>>
        {
            ["det"] = x => [Dendrite.Linalg.Det(x[0])],
            ["slogdet"] = x =>
            {
                var (s, l) = Dendrite.Linalg.Slogdet(x[0]);
                return [s, l];
            },
            ["inv"] = x => [Dendrite.Linalg.Inv(x[0])],
            ["solve"] = x => [Dendrite.Linalg.Solve(x[0], x[1])],
            ["cholesky"] = x => [Dendrite.Linalg.Cholesky(x[0])],
            ["cholesky_upper"] = x => [Dendrite.Linalg.Cholesky(x[0], upper: true)],
            ["eigh"] = x =>
            {
                var (w, v) = Dendrite.Linalg.Eigh(x[0]);
                return [w, v * v];
            },
            ["eigvalsh"] = x => [Dendrite.Linalg.Eigvalsh(x[0])],
            ["svd"] = x =>
            {
                var (u, s, vh) = Dendrite.Linalg.Svd(x[0]);
                return [s, u * u, vh * vh];
            },
            ["svdvals"] = x => [Dendrite.Linalg.Svdvals(x[0])],
            ["qr"] = x =>
            {
                var (q, r) = Dendrite.Linalg.Qr(x[0]);
                var d = r.Narrow(-1, 0, r.Size(-2)).Diagonal(-2, -1).Sign();
                return [q * d.Unsqueeze(-2), r * d.Unsqueeze(-1)];
            },
            ["lu"] = x =>
            {
                var (p, l, u) = Dendrite.Linalg.Lu(x[0]);
                return [p, l, u];
            },
            ["lu_factor"] = x =>
            {
                var (lu, pivots) = Dendrite.Linalg.LuFactor(x[0]);
                return [lu, pivots.To(x[0].DType)];
            },
            ["eigvals"] = x =>
            {
                var (re, im) = Dendrite.Linalg.Eigvals(x[0]);
                return [re, im];
            },
            ["pinv"] = x => [Dendrite.Linalg.Pinv(x[0])],
            ["lstsq"] = x => [Dendrite.Linalg.Lstsq(x[0], x[1])],
            ["matrix_rank"] = x => [Dendrite.Linalg.MatrixRank(x[0]).To(x[0].DType)],
            ["trace"] = x => [Dendrite.Linalg.Trace(x[0])],
            ["matrix_norm_fro"] = x => [Dendrite.Linalg.MatrixNorm(x[0], "fro")],
            ["matrix_norm_nuc"] = x => [Dendrite.Linalg.MatrixNorm(x[0], "nuc")],
        };
        foreach (var (key, ord) in new[] { ("1", 1.0), ("-1", -1), ("2", 2), ("-2", -2),
            ("inf", double.PositiveInfinity), ("-inf", double.NegativeInfinity) })
        {
            ops[$"matrix_norm_{key}"] = x => [Dendrite.Linalg.MatrixNorm(x[0], ord)];
        }
        foreach (var (key, ord) in new[] { ("2", 2.0), ("1", 1), ("3", 3), ("0.5", 0.5),
            ("inf", double.PositiveInfinity), ("-inf", double.NegativeInfinity), ("0", 0) })
        {
            ops[$"vector_norm_{key}"] = x => [Dendrite.Linalg.VectorNorm(x[0], ord, [-1])];
        }
        return ops;
    }

    private static Tensor ToTensor(JsonElement e, bool f32)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return f32 ? Tensor.From(data.Select(v => (float)v).ToArray(), shape) : Tensor.From(data, shape);
    }

    private static void AssertClose(Tensor actual, Tensor want, double atol, double rtol, string what)
    {
        Assert.True(Shapes.Equal(actual.Shape, want.Shape),
            $"{what}: shape {Shapes.Format(actual.Shape)}, torch {Shapes.Format(want.Shape)}");
        Assert.Equal(want.DType, actual.DType);
        double[] got = actual.ToArray<double>(), exp = want.ToArray<double>();
        double scale = exp.Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int i = 0; i < exp.Length; i++)
        {
            double bound = atol * Math.Max(1, scale) + rtol * Math.Abs(exp[i]);
            bool ok = got[i].Equals(exp[i]) || Math.Abs(got[i] - exp[i]) <= bound;
            Assert.True(ok, string.Create(CultureInfo.InvariantCulture,
                $"{what}: element {i}: got {got[i]:R}, torch {exp[i]:R} (shape {Shapes.Format(want.Shape)})"));
        }
    }

    // General eigenvalues come in no fixed order: every torch eigenvalue must have a match among ours.
    private static void AssertSameSet(Tensor[] outs, Tensor[] expected, double atol, double rtol, string what)
    {
        double[] re = outs[0].ToArray<double>(), im = outs[1].ToArray<double>();
        double[] wr = expected[0].ToArray<double>(), wi = expected[1].ToArray<double>();
        int n = outs[0].Size(-1);
        for (int i = 0; i < wr.Length; i++)
        {
            int row = i / n;
            double best = Enumerable.Range(row * n, n).Min(j => Math.Abs(re[j] - wr[i]) + Math.Abs(im[j] - wi[i]));
            double mag = Math.Abs(wr[i]) + Math.Abs(wi[i]);
            Assert.True(best <= atol * 10 + rtol * mag, $"{what}: torch eigenvalue {wr[i]}+{wi[i]}i has no match");
        }
    }
}
