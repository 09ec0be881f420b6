using System.Numerics;

namespace Dendrite;

// Row-wise loops for Gather and Scatter. When the index has the data's shape in every dimension but the indexed
// one, both are viewed as [outer, n or m, inner] and each (outer, j) step moves a whole row of `inner` elements
// (or, with the last dimension indexed, runs one tight loop over a contiguous row of indices). Other shapes keep the
// coordinate-by-coordinate path in Tensor.Indexing.cs.
public partial class Tensor
{
    // y[o, j, k] = x[o, index[o, j, k], k]; false when the shapes need the general path.
    private static bool GatherRows(Tensor x, Tensor y, int d, long[] index)
    {
        if (!SameOutside(x.shape, y.shape, d) || x.DType == DType.Bool) return false;
        var (outer, inner) = OuterInner(y.shape, d);
        int n = x.shape[d], m = y.shape[d];
        var xc = x.Contiguous();
        switch (x.DType)
        {
            case DType.Float32: GatherKernel(xc.Span<float>(), y.Span<float>(), index, outer, n, m, inner); break;
            case DType.Float64: GatherKernel(xc.Span<double>(), y.Span<double>(), index, outer, n, m, inner); break;
            default: GatherKernel(xc.Span<long>(), y.Span<long>(), index, outer, n, m, inner); break;
        }
        return true;
    }

    // y[o, index[o, j, k], k] = (or +=) src[o, j, k]; false when the shapes need the general path.
    private static bool ScatterRows(Tensor src, Tensor y, int d, int[] indexShape, long[] index, bool add)
    {
        if (!SameOutside(y.shape, indexShape, d) || y.DType == DType.Bool) return false;
        var (outer, inner) = OuterInner(indexShape, d);
        int n = y.shape[d], m = indexShape[d];
        Tensor s;
        using (Autograd.NoGrad())
        {
            s = src;
            for (int i = 0; i < s.Rank; i++)
            {
                if (s.shape[i] != indexShape[i]) s = s.Narrow(i, 0, indexShape[i]);
            }
            s = s.Contiguous();
        }
        switch (y.DType)
        {
            case DType.Float32: ScatterKernel(s.Span<float>(), y.Span<float>(), index, outer, n, m, inner, add); break;
            case DType.Float64:
                ScatterKernel(s.Span<double>(), y.Span<double>(), index, outer, n, m, inner, add);
                break;
            default: ScatterKernel(s.Span<long>(), y.Span<long>(), index, outer, n, m, inner, add); break;
        }
        return true;
    }

    private static bool SameOutside(int[] a, int[] b, int d)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            if (i != d && a[i] != b[i]) return false;
        }
        return true;
    }

    private static (int Outer, int Inner) OuterInner(int[] s, int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= s[i];
        for (int i = d + 1; i < s.Length; i++) inner *= s[i];
        return (outer, inner);
    }

    private static void GatherKernel<T>(ReadOnlySpan<T> x, Span<T> y, long[] index, int outer, int n, int m, int inner)
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var src = x.Slice(o * n, n);
                var dst = y.Slice(o * m, m);
                var idx = index.AsSpan(o * m, m);
                for (int j = 0; j < dst.Length; j++) dst[j] = src[(int)idx[j]];
            }
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < m; j++)
            {
                int row = (o * m + j) * inner;
                var dst = y.Slice(row, inner);
                var idx = index.AsSpan(row, inner);
                int baseAt = o * n * inner;
                for (int k = 0; k < inner; k++) dst[k] = x[baseAt + (int)idx[k] * inner + k];
            }
        }
    }

    private static void ScatterKernel<T>(ReadOnlySpan<T> s, Span<T> y, long[] index, int outer, int n, int m, int inner,
        bool add) where T : INumberBase<T>
    {
        for (int o = 0; o < outer; o++)
        {
            int baseAt = o * n * inner;
            for (int j = 0; j < m; j++)
            {
                int row = (o * m + j) * inner;
                var src = s.Slice(row, inner);
                var idx = index.AsSpan(row, inner);
                if (add)
                {
                    for (int k = 0; k < inner; k++) y[baseAt + (int)idx[k] * inner + k] += src[k];
                }
                else
                {
                    for (int k = 0; k < inner; k++) y[baseAt + (int)idx[k] * inner + k] = src[k];
                }
            }
        }
    }
}
