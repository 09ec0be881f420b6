namespace Dendrite.IO;

// Einsum(equation, inputs…): out[output labels] = Σ over the other labels of Π inputs[their labels]. A label
// repeated within one term reads a diagonal; "..." stands for the leading axes an input has beyond its letters
// (right-aligned across inputs, size 1 broadcasting); without "->" the output is the ellipsis axes and then the
// letters used once, in alphabetical order. Written here as one loop over every label combination, in double;
// when Core offers an Einsum tensor op this file shrinks to a call to it plus the equation checks.
internal static partial class OnnxOps
{
    private static void AddEinsum(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["Einsum"] = One(Einsum);
    }

    // Ellipsis axes get labels from the private-use area, which no equation letter can collide with.
    private const char EllipsisLabel = '\uE000';

    private static Tensor Einsum(OnnxNode n)
    {
        string equation = n.Str("equation", "").Replace(" ", "", StringComparison.Ordinal);
        var xs = Enumerable.Range(0, n.InputCount).Select(n.In).ToArray();
        string[] sides = equation.Split("->");
        string[] terms = sides[0].Split(',');
        if (sides.Length > 2 || terms.Length != xs.Length)
            throw n.Error($"equation '{equation}' does not describe {xs.Length} inputs");
        int ellipsisRank = 0;
        var labels = new char[xs.Length][];
        for (int i = 0; i < xs.Length; i++)
        {
            string term = terms[i];
            int letters = term.Replace("...", "", StringComparison.Ordinal).Length;
            if (term.Replace("...", "", StringComparison.Ordinal).Any(c => !char.IsAsciiLetter(c))
                || term.Split("...").Length > 2)
                throw n.Error($"equation term '{term}' may hold only letters and one '...'");
            int extra = xs[i].Rank - letters;
            if (extra < 0 || (extra > 0 && !term.Contains("...", StringComparison.Ordinal)))
                throw n.Error($"equation term '{term}' does not fit input {i} of shape {Shapes.Format(xs[i].Shape)}");
            ellipsisRank = Math.Max(ellipsisRank, extra);
            labels[i] = ExpandTerm(term, extra);
        }
        var ellipsis = Enumerable.Range(0, ellipsisRank).Select(k => (char)(EllipsisLabel + k)).ToArray();
        // Ellipsis labels of an input with fewer such axes are the rightmost ones.
        for (int i = 0; i < xs.Length; i++)
        {
            int extra = labels[i].Count(c => c >= EllipsisLabel);
            for (int p = 0; p < labels[i].Length; p++)
            {
                if (labels[i][p] >= EllipsisLabel) labels[i][p] = (char)(labels[i][p] + ellipsisRank - extra);
            }
        }
        var size = new Dictionary<char, int>();
        for (int i = 0; i < xs.Length; i++)
        {
            for (int p = 0; p < labels[i].Length; p++)
            {
                char l = labels[i][p];
                int d = xs[i].Shape[p];
                if (!size.TryGetValue(l, out int known) || known == 1) size[l] = d;
                else if (d != known && !(d == 1 && l >= EllipsisLabel))
                    throw n.Error($"label '{(l >= EllipsisLabel ? "..." : l)}' has sizes {known} and {d} in "
                        + $"'{equation}'");
            }
        }
        char[] output = sides.Length == 2
            ? ExpandTerm(sides[1], ellipsisRank)
            : [.. ellipsis, .. size.Keys.Where(l => l < EllipsisLabel
                && labels.Sum(t => t.Count(c => c == l)) == 1).Order()];
        if (output.Distinct().Count() != output.Length || output.Any(l => !size.ContainsKey(l)))
            throw n.Error($"output of '{equation}' repeats a label or names one no input has");
        char[] all = [.. output, .. size.Keys.Where(l => !output.Contains(l))];
        long[] outShape = output.Select(l => (long)size[l]).ToArray();
        int outCount = CheckedNumel(n, outShape, "output shape");
        CheckedNumel(n, all.Select(l => (long)size[l]).ToArray(), "label space");
        // Per input, the stride each label moves it by (summed over repeats, 0 where the axis broadcasts).
        var strides = new long[xs.Length][];
        for (int i = 0; i < xs.Length; i++)
        {
            strides[i] = new long[all.Length];
            var s = StridesOf(xs[i].Shape);
            for (int p = 0; p < labels[i].Length; p++)
            {
                if (xs[i].Shape[p] != 1) strides[i][Array.IndexOf(all, labels[i][p])] += s[p];
            }
        }
        var outStrides = StridesOf(outShape.Select(v => (int)v).ToArray());
        var values = xs.Select(x => x.ToArray<double>()).ToArray();
        var y = new double[outCount];
        var idx = new int[all.Length];
        var dims = all.Select(l => size[l]).ToArray();
        if (dims.All(d => d > 0))
        {
            while (true)
            {
                double product = 1;
                for (int i = 0; i < xs.Length; i++)
                {
                    long off = 0;
                    for (int l = 0; l < all.Length; l++) off += idx[l] * strides[i][l];
                    product *= values[i][off];
                }
                long at = 0;
                for (int l = 0; l < output.Length; l++) at += (long)idx[l] * outStrides[l];
                y[at] += product;
                int k = all.Length - 1;
                while (k >= 0 && ++idx[k] == dims[k]) idx[k--] = 0;
                if (k < 0) break;
            }
        }
        return Tensor.From(y, outShape.Select(v => (int)v).ToArray()).To(xs[0].DType);
    }

    /// <summary>A term's labels with "..." replaced by <paramref name="extra"/> ellipsis labels.</summary>
    private static char[] ExpandTerm(string term, int extra)
    {
        int at = term.IndexOf("...", StringComparison.Ordinal);
        if (at < 0) return term.ToCharArray();
        var dots = Enumerable.Range(0, extra).Select(k => (char)(EllipsisLabel + k));
        return [.. term[..at], .. dots, .. term[(at + 3)..]];
    }
}
