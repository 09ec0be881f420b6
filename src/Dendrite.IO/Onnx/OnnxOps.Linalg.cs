namespace Dendrite.IO;

// Linear algebra beyond MatMul and Gemm.
//   Det(X) for X: [*, M, M] → [*]: Linalg.Det (LU factorisation with partial pivoting in double precision,
//   det = (−1)^swaps · Π uᵢᵢ).
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
        return Linalg.Det(x);
    }
}
