namespace Dendrite;

// Norms, trace, rank, pseudo-inverse and least squares, written as compositions of Tensor ops and the SVD, so their
// gradients come from those (no backward code here).
public static partial class Linalg
{
    /// <summary>‖x‖_p = (Σ|x|^p)^(1/p) over <paramref name="dims"/> (all when null); p = ∞ is max |x|, −∞ is
    /// min |x|, 0 counts the non-zero entries.</summary>
    public static Tensor VectorNorm(Tensor x, double ord = 2, int[]? dims = null, bool keepDim = false)
    {
        if (!x.DType.IsFloating())
            throw new ArgumentException($"VectorNorm: expects a Float32 or Float64 tensor, got {x.DType} " +
                Shapes.Format(x.Shape));
        int[] axes = dims ?? [];
        var abs = x.Abs();
        if (double.IsPositiveInfinity(ord)) return abs.Max(axes, keepDim);
        if (double.IsNegativeInfinity(ord)) return abs.Min(axes, keepDim);
        if (ord == 0) return abs.Sign().Sum(axes, keepDim);
        if (ord == 1) return abs.Sum(axes, keepDim);
        if (ord == 2) return RootAwayFromZero((x * x).Sum(axes, keepDim), s => s.Sqrt());
        return RootAwayFromZero(abs.Pow(ord).Sum(axes, keepDim), s => s.Pow(1 / ord));
    }

    // root(s) where s > 0 and 0 where s = 0, with a zero gradient there (PyTorch's subgradient of a norm at the zero
    // vector) instead of the 0·∞ = NaN of differentiating the root at 0. Both branches stay differentiable ops.
    private static Tensor RootAwayFromZero(Tensor s, Func<Tensor, Tensor> root)
    {
        if (!s.RequiresGrad || !Autograd.IsEnabled) return root(s);
        var zero = s.Eq(0);
        return Tensor.Where(zero, Tensor.ZerosLike(s), root(Tensor.Where(zero, Tensor.OnesLike(s), s)));
    }

    /// <summary>"fro" (Frobenius, √Σa²) or "nuc" (nuclear, the sum of singular values) norm of each matrix.
    /// A: (*, m, n) → (*), or (*, 1, 1) with <paramref name="keepDim"/></summary>
    public static Tensor MatrixNorm(Tensor a, string ord = "fro", bool keepDim = false)
    {
        RequireMatrices("MatrixNorm", a);
        var y = ord switch
        {
            "fro" => RootAwayFromZero((a * a).Sum([-2, -1]), s => s.Sqrt()),
            "nuc" => Svdvals(a).Sum(-1),
            _ => throw new ArgumentException($"MatrixNorm: ord \"{ord}\" is not \"fro\" or \"nuc\"; pass 1, -1, 2, " +
                "-2 or ±∞ as a number"),
        };
        return keepDim ? y.Unsqueeze(-1).Unsqueeze(-1) : y;
    }

    /// <summary>Induced matrix norm: 1 (largest column sum of |a|), ∞ (largest row sum), 2 (spectral: largest
    /// singular value), and −1, −∞, −2 for the smallest instead.   A: (*, m, n) → (*)</summary>
    public static Tensor MatrixNorm(Tensor a, double ord, bool keepDim = false)
    {
        RequireMatrices("MatrixNorm", a);
        Tensor y;
        if (Math.Abs(ord) == 1) y = Extreme(a.Abs().Sum(-2), ord > 0);
        else if (double.IsInfinity(ord)) y = Extreme(a.Abs().Sum(-1), ord > 0);
        else if (Math.Abs(ord) == 2) y = Extreme(Svdvals(a), ord > 0);
        else throw new ArgumentException($"MatrixNorm: ord {ord} is not one of 1, -1, 2, -2, ∞, -∞, \"fro\", \"nuc\"");
        return keepDim ? y.Unsqueeze(-1).Unsqueeze(-1) : y;

        static Tensor Extreme(Tensor v, bool max) => max ? v.Max(-1) : v.Min(-1);
    }

    /// <summary>Sum of the diagonal.   A: (*, n, n) → (*)</summary>
    public static Tensor Trace(Tensor a)
    {
        RequireMatrices("Trace", a);
        return a.Diagonal(-2, -1).Sum(-1);
    }

    /// <summary>Number of singular values above max(atol, rtol·σ_max), as Int64; rtol defaults to
    /// ε·max(m, n) for the input's type when neither tolerance is given (torch.linalg.matrix_rank).
    /// A: (*, m, n) → (*)</summary>
    public static Tensor MatrixRank(Tensor a, double? atol = null, double? rtol = null)
    {
        Tensor s;
        using (Autograd.NoGrad()) s = Svdvals(a.Detach());
        var cut = Cutoff(s, a, atol, rtol);
        using (Autograd.NoGrad()) return s.Gt(cut).To(DType.Int64).Sum(-1);
    }

    /// <summary>Moore–Penrose pseudo-inverse from the SVD, treating singular values at or below
    /// max(atol, rtol·σ_max) as zero (defaults as in <see cref="MatrixRank"/>).   A: (*, m, n) → (*, n, m)</summary>
    public static Tensor Pinv(Tensor a, double? atol = null, double? rtol = null)
    {
        var (u, s, vh) = Svd(a);
        Tensor keep;
        using (Autograd.NoGrad()) keep = s.Gt(Cutoff(s.Detach(), a, atol, rtol));
        var sinv = Tensor.Where(keep, 1 / Tensor.Where(keep, s, Tensor.OnesLike(s)), Tensor.ZerosLike(s));
        return vh.T.MatMul(sinv.Unsqueeze(-1) * u.T);
    }

    /// <summary>The minimum-norm least-squares solution X of min ‖A·X − B‖, through the pseudo-inverse. B is
    /// (*, m, k), or (*, m) for a stack of vectors.   A: (*, m, n) → X: (*, n, k) or (*, n)</summary>
    public static Tensor Lstsq(Tensor a, Tensor b)
    {
        RequireMatrices("Lstsq", a);
        bool vector = b.Rank == 1 || (b.Rank == a.Rank - 1 && b.Shape.SequenceEqual(a.Shape[..^1]));
        var bm = vector ? b.Unsqueeze(-1) : b;
        if (bm.Rank < 2 || bm.Size(-2) != a.Size(-2))
            throw new ArgumentException($"Lstsq: A {Shapes.Format(a.Shape)} and B {Shapes.Format(b.Shape)}: B needs " +
                "as many rows as A");
        var x = Pinv(a).MatMul(bm);
        return vector ? x.Squeeze(-1) : x;
    }

    private static Tensor Cutoff(Tensor s, Tensor a, double? atol, double? rtol)
    {
        double eps = a.DType == DType.Float32 ? 1.1920928955078125e-7 : 2.220446049250313e-16;
        double r = rtol ?? (atol is null ? eps * Math.Max(a.Size(-2), a.Size(-1)) : 0);
        var smax = s.Size(-1) == 0 ? Tensor.ZerosLike(s).Sum(-1, keepDim: true) : s.Max(-1, keepDim: true);
        var cut = smax * r;
        return atol is { } at ? Tensor.Where(cut.Gt(at), cut, Tensor.Scalar(at, cut.DType)) : cut;
    }

    private static void RequireMatrices(string op, Tensor a)
    {
        if (a.Rank < 2)
            throw new ArgumentException($"{op}: expects a matrix or a stack of matrices (*, m, n), got " +
                Shapes.Format(a.Shape));
    }
}
