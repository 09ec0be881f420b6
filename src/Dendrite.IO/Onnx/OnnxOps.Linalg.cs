namespace Dendrite.IO;

// Linear algebra beyond MatMul and Gemm.
//   Det(X) for X: [*, M, M] → [*]: LU factorisation with partial pivoting in double precision,
//   det = (−1)^swaps · Π uᵢᵢ.
internal static partial class OnnxOps
{
    private static void AddLinalg(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["Det"] = One(Det);
    }

    private static Tensor Det(OnnxNode n)
    {
        var x = n.In(0);
        if (!x.DType.IsFloating()) throw n.Error($"input must be a float tensor, got {x.DType}");
        if (x.Rank < 2 || x.Shape[^1] != x.Shape[^2])
            throw n.Error($"input must be [*, M, M], got {Shapes.Format(x.Shape)}");
        int m = x.Shape[^1];
        var v = x.ToArray<double>();
        int count = m == 0 ? v.Length : v.Length / (m * m);
        if (m == 0) count = x.Shape[..^2].ToArray().Aggregate(1, (a, b) => a * b);
        var det = new double[count];
        var a = new double[m * m];
        for (int b = 0; b < count; b++)
        {
            Array.Copy(v, b * m * m, a, 0, m * m);
            det[b] = Determinant(a, m);
        }
        return Tensor.From(det, x.Shape[..^2]).To(x.DType);
    }

    /// <summary>Determinant of the m×m row-major matrix <paramref name="a"/>, which is overwritten.</summary>
    private static double Determinant(double[] a, int m)
    {
        double det = 1;
        for (int c = 0; c < m; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < m; r++)
            {
                if (Math.Abs(a[r * m + c]) > Math.Abs(a[pivot * m + c])) pivot = r;
            }
            if (a[pivot * m + c] == 0) return 0;
            if (pivot != c)
            {
                for (int j = 0; j < m; j++) (a[c * m + j], a[pivot * m + j]) = (a[pivot * m + j], a[c * m + j]);
                det = -det;
            }
            double p = a[c * m + c];
            det *= p;
            for (int r = c + 1; r < m; r++)
            {
                double f = a[r * m + c] / p;
                if (f == 0) continue;
                for (int j = c; j < m; j++) a[r * m + j] -= f * a[c * m + j];
            }
        }
        return det;
    }
}
