using System.Numerics;

namespace Dendrite;

// Inclusive scans along one axis. The axis is moved last and made contiguous, so each row is one span.
public partial class Tensor
{
    /// <summary>Running sums along <paramref name="axis"/>: yᵢ = Σ_{j≤i} xⱼ (Bool and Int64 give Int64).
    /// dx = reverse running sum of g</summary>
    public Tensor CumSum(int axis)
    {
        var x = this;
        int a = Shapes.Axis("CumSum", axis, Math.Max(Rank, 1));
        var y = ScanRaw(a, product: false, reverse: false);
        if (!Tracks(x)) return y;
        // The reverse scan is a raw kernel: no second derivatives through it.
        return y.Record("CumSum", [x], g => [g.ScanRaw(a, product: false, reverse: true)],
            attributes: [("axis", a)], differentiable: false);
    }

    /// <summary>Running products along <paramref name="axis"/>: yᵢ = Π_{j≤i} xⱼ.
    /// dxₖ = Σ_{j≥k} gⱼ Π_{i≤j, i≠k} xᵢ, computed without dividing by zero inputs (as torch)</summary>
    public Tensor CumProd(int axis)
    {
        var x = this;
        int a = Shapes.Axis("CumProd", axis, Math.Max(Rank, 1));
        var y = ScanRaw(a, product: true, reverse: false);
        if (!Tracks(x)) return y;
        return y.Record("CumProd", [x], g =>
        {
            var (xr, yr, gr) = (x.AxisLast(a), y.AxisLast(a), g.To(x.DType).AxisLast(a));
            var dx = Empty(x.DType, (int[])xr.shape.Clone());
            int n = x.Rank == 0 ? 1 : x.shape[a];
            if (x.DType == DType.Float32) CumProdGradRows<float>(xr, yr, gr, dx, n);
            else CumProdGradRows<double>(xr, yr, gr, dx, n);
            return [x.Rank == 0 ? dx : dx.Transpose(a, -1)];
        }, saved: [x, y], attributes: [("axis", a)], differentiable: false);
    }

    // A contiguous copy (or this tensor) with axis a moved last; not recorded.
    private Tensor AxisLast(int a)
    {
        using var _ = Autograd.NoGrad();
        return Rank == 0 || a == Rank - 1 ? Contiguous() : Transpose(a, -1).Contiguous();
    }

    private Tensor ScanRaw(int a, bool product, bool reverse)
    {
        var dt = DType is DType.Bool ? DType.Int64 : DType;
        Tensor c;
        using (Autograd.NoGrad())
        {
            var src = To(dt);
            c = Rank == 0 || a == Rank - 1 ? src.Contiguous(force: true) : src.Transpose(a, -1).Contiguous(force: true);
        }
        int n = Rank == 0 ? 1 : shape[a];
        switch (dt)
        {
            case DType.Float32: ScanRows(c.Span<float>(), n, product, reverse); break;
            case DType.Float64: ScanRows(c.Span<double>(), n, product, reverse); break;
            default: ScanRows(c.Span<long>(), n, product, reverse); break;
        }
        return Rank == 0 || a == Rank - 1 ? c : c.Transpose(a, -1);
    }

    private static void ScanRows<T>(Span<T> data, int n, bool product, bool reverse) where T : INumber<T>
    {
        if (n == 0) return;
        for (int o = 0; o + n <= data.Length; o += n)
        {
            var row = data.Slice(o, n);
            if (reverse)
            {
                for (int i = n - 2; i >= 0; i--) row[i] = product ? row[i] * row[i + 1] : row[i] + row[i + 1];
            }
            else
            {
                for (int i = 1; i < n; i++) row[i] = product ? row[i] * row[i - 1] : row[i] + row[i - 1];
            }
        }
    }

    // Per row, with z the first zero of x: for k < z, dxₖ = Σ_{k≤j<z} gⱼyⱼ / xₖ (every later yⱼ is 0);
    // dx_z = Σ_{j≥z} gⱼ · y_{z-1} · Π_{z<i≤j} xᵢ; dxₖ = 0 beyond z, where the zero x_z stays in every product.
    private static void CumProdGradRows<T>(Tensor x, Tensor y, Tensor g, Tensor dx, int n)
        where T : unmanaged, INumber<T>
    {
        Span<T> xs = x.Span<T>(), ys = y.Span<T>(), gs = g.Span<T>(), ds = dx.Span<T>();
        for (int o = 0; o + n <= ds.Length && n > 0; o += n)
        {
            Span<T> xr = xs.Slice(o, n), yr = ys.Slice(o, n), gr = gs.Slice(o, n), dr = ds.Slice(o, n);
            int z = xr.IndexOf(T.Zero);
            if (z < 0) z = n;
            T acc = T.Zero;
            for (int j = z - 1; j >= 0; j--)
            {
                acc += gr[j] * yr[j];
                dr[j] = acc / xr[j];
            }
            if (z == n) continue;
            T prod = z == 0 ? T.One : yr[z - 1], sum = T.Zero;
            for (int j = z; j < n; j++)
            {
                if (j > z) prod *= xr[j];
                sum += gr[j] * prod;
            }
            dr[z] = sum;
            dr[(z + 1)..].Clear();
        }
    }
}
