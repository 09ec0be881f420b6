namespace Dendrite.IO;

// TopK(X, K) → values, indices: the K largest (or smallest) entries along an axis, ordered from the extreme end,
// ties going to the lower index. Written here with plain loops over the data; when Core offers a TopK tensor op
// this file shrinks to a call to it plus the ONNX argument checks.
internal static partial class OnnxOps
{
    private static void AddTopK(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["TopK"] = TopK;
    }

    private static Tensor[] TopK(OnnxNode n)
    {
        var x = n.In(0);
        if (x.Rank == 0) throw n.Error("input must have rank 1 or more");
        int axis = n.Axis(n.Int("axis", -1), x.Rank);
        long k = n.Opset < 10 ? n.Int("k", -1) : n.Longs(1) is [var only] ? only
            : throw n.Error($"K must hold one value, got {Shapes.Format(n.In(1).Shape)}");
        int len = x.Shape[axis];
        if (k < 0 || k > len)
            throw n.Error($"TopK: k {k} exceeds dimension {axis} of size {len} in {Shapes.Format(x.Shape)}");
        bool largest = n.Int("largest", 1) != 0;
        // Rows along the axis: move it last and flatten the rest.
        var perm = Enumerable.Range(0, x.Rank).Where(a => a != axis).Append(axis).ToArray();
        var moved = x.Permute(perm).Contiguous();
        var v = moved.To(DType.Float64).ToArray<double>();
        int rows = len == 0 ? 0 : v.Length / len, kk = (int)k;
        var picked = new long[rows * kk];
        var order = new int[len];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < len; i++) order[i] = i;
            int row = r * len;
            // Sorted output regardless of the sorted attribute: an unsorted order is allowed to be any order.
            Array.Sort(order, (a, b) =>
            {
                int c = largest ? v[row + b].CompareTo(v[row + a]) : v[row + a].CompareTo(v[row + b]);
                return c != 0 ? c : a.CompareTo(b);
            });
            for (int j = 0; j < kk; j++) picked[r * kk + j] = order[j];
        }
        int[] movedShape = [.. moved.Shape[..^1], kk];
        var indices = Tensor.From(picked, movedShape);
        var values = moved.Gather(x.Rank - 1, indices);
        // Move the axis back where it was.
        var back = new int[x.Rank];
        for (int i = 0; i < perm.Length; i++) back[perm[i]] = i;
        return [values.Permute(back).Contiguous(), indices.Permute(back).Contiguous()];
    }
}
