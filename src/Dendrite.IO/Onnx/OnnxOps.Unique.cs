namespace Dendrite.IO;

// Unique and ReverseSequence: operators that reorder whole slices of their input.
//   Unique(X, axis, sorted) → Y, indices, inverse_indices, counts
//     without axis X is flattened and its elements are compared; with axis the slices along it are compared
//     lexicographically. Y holds each distinct slice once (ascending when sorted, else in order of first
//     appearance), indices the first position of each in X, inverse_indices the position in Y of every slice of X,
//     counts how often each occurs.
internal static partial class OnnxOps
{
    private static void AddUnique(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["Unique"] = Unique;
        t["ReverseSequence"] = One(ReverseSequence);
    }

    private static Tensor[] Unique(OnnxNode n)
    {
        var x = n.In(0);
        bool sorted = n.Int("sorted", 1) != 0;
        int axis = 0;
        if (n.Has("axis")) axis = n.Axis(n.Int("axis", 0), x.Rank);
        else x = x.Reshape(-1);
        // Rows: the slices along the axis, each flattened, as one row of a [len, width] matrix.
        int len = x.Shape[axis];
        var perm = Enumerable.Range(0, x.Rank).ToList();
        perm.Remove(axis);
        perm.Insert(0, axis);
        var rows = x.Permute(perm.ToArray()).Contiguous().Reshape(len, -1);
        int width = len == 0 ? 0 : rows.Shape[1];
        var order = x.DType.IsFloating() ? UniqueOrder(rows.ToArray<double>(), len, width, sorted)
            : UniqueOrder(rows.ToArray<long>(), len, width, sorted);
        var (first, inverse, counts) = order;
        var firstT = Tensor.From(first, first.Length);
        return
        [
            x.IndexSelect(axis, firstT), firstT, Tensor.From(inverse, inverse.Length),
            Tensor.From(counts, counts.Length),
        ];
    }

    private static (long[] First, long[] Inverse, long[] Counts) UniqueOrder<T>(T[] v, int len, int width,
        bool sorted) where T : IComparable<T>
    {
        int Compare(int a, int b)
        {
            for (int j = 0; j < width; j++)
            {
                int c = v[a * width + j].CompareTo(v[b * width + j]);
                if (c != 0) return c;
            }
            return 0;
        }
        // Sort the row numbers (stable: equal rows keep their order, so the first of a run is the first seen).
        var byValue = Enumerable.Range(0, len).ToArray();
        Array.Sort(byValue, Comparer<int>.Create((a, b) => Compare(a, b) is var c && c != 0 ? c : a - b));
        var groupOf = new int[len];
        var groupFirst = new List<int>();
        var groupCount = new List<long>();
        for (int i = 0; i < len; i++)
        {
            if (i == 0 || Compare(byValue[i - 1], byValue[i]) != 0)
            {
                groupFirst.Add(byValue[i]);
                groupCount.Add(0);
            }
            groupOf[byValue[i]] = groupFirst.Count - 1;
            groupCount[^1]++;
        }
        // Groups are in ascending order; unsorted output lists them by first appearance instead.
        var rank = Enumerable.Range(0, groupFirst.Count).ToArray();
        if (!sorted) Array.Sort(groupFirst.ToArray(), rank);
        var position = new int[rank.Length];
        for (int p = 0; p < rank.Length; p++) position[rank[p]] = p;
        var first = rank.Select(g => (long)groupFirst[g]).ToArray();
        var counts = rank.Select(g => groupCount[g]).ToArray();
        var inverse = new long[len];
        for (int i = 0; i < len; i++) inverse[i] = position[groupOf[i]];
        return (first, inverse, counts);
    }

    // ReverseSequence(input, sequence_lens): for each batch entry b, the first sequence_lens[b] steps along the
    // time axis are reversed and the rest kept.
    private static Tensor ReverseSequence(OnnxNode n)
    {
        var x = n.In(0);
        var lens = n.Longs(1);
        if (x.Rank < 2) throw n.Error($"input must have rank 2 or more, got {Shapes.Format(x.Shape)}");
        long batchAttr = n.Int("batch_axis", 1), timeAttr = n.Int("time_axis", 0);
        if (batchAttr is not (0 or 1) || timeAttr is not (0 or 1) || batchAttr == timeAttr)
            throw n.Error($"attributes batch_axis {batchAttr} and time_axis {timeAttr} must be 0 and 1 in some order");
        int batchAxis = (int)batchAttr, timeAxis = (int)timeAttr;
        int batch = x.Shape[batchAxis], time = x.Shape[timeAxis];
        if (lens.Length != batch)
            throw n.Error($"sequence_lens has {lens.Length} entries for batch axis of size {batch} in "
                + Shapes.Format(x.Shape));
        // Gather along the flattened [dim0, dim1] pair with one source index per (time, batch) position.
        int inner = Inner(x, 2);
        var source = new long[batch * time];
        for (int b = 0; b < batch; b++)
        {
            long l = lens[b];
            if (l < 0 || l > time)
                throw n.Error($"sequence_lens[{b}] = {l} is outside [0, {time}] for {Shapes.Format(x.Shape)}");
            for (int s = 0; s < time; s++)
            {
                int from = s < l ? (int)(l - 1 - s) : s;
                int dst = timeAxis == 0 ? s * batch + b : b * time + s;
                source[dst] = timeAxis == 0 ? (long)from * batch + b : (long)b * time + from;
            }
        }
        var flat = x.Reshape(batch * time, inner).IndexSelect(0, Tensor.From(source, source.Length));
        return flat.Reshape(x.Shape.ToArray());
    }
}
