namespace Dendrite;

// Einstein summation, lowered to the differentiable ops that already exist: a diagonal view for a letter repeated
// within one operand, Sum for letters nobody needs any more, and for each pair of operands one batched MatMul
// over [batch, left, contracted] × [batch, contracted, right] built with Permute and Reshape.
public partial class Tensor
{
    /// <summary>Einstein summation over one or more operands (torch.einsum without '...'): for example
    /// "ij,jk->ik" (matrix product), "bij,bjk->bik" (batched), "i,j->ij" (outer), "ij->ji", "ii->" (trace),
    /// "ii->i" (diagonal), "ij->" (sum), "bn,anm,bm->ba" (bilinear). Without "->" the output is every letter that
    /// appears once, in alphabetical order. Differentiable through the ops it is built from.</summary>
    public static Tensor Einsum(string equation, params Tensor[] operands)
    {
        string eq = equation.Replace(" ", "", StringComparison.Ordinal);
        string Err(string why) => $"Einsum: {why} in '{equation}'";
        if (eq.Contains("...", StringComparison.Ordinal))
            throw new ArgumentException(Err("ellipsis ('...') is not supported"));
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        string lhs = arrow < 0 ? eq : eq[..arrow];
        string[] terms = lhs.Split(',');
        if (terms.Length != operands.Length)
            throw new ArgumentException(Err($"{terms.Length} input terms for {operands.Length} operands"));
        var sizes = new Dictionary<char, int>();
        var count = new Dictionary<char, int>();
        for (int i = 0; i < terms.Length; i++)
        {
            string t = terms[i];
            if (t.Length != operands[i].Rank)
                throw new ArgumentException(
                    Err($"term '{t}' has {t.Length} letters, operand {i} has shape " +
                        Shapes.Format(operands[i].shape)));
            for (int k = 0; k < t.Length; k++)
            {
                char c = t[k];
                if (!char.IsAsciiLetter(c)) throw new ArgumentException(Err($"'{c}' is not a letter"));
                int n = operands[i].shape[k];
                if (sizes.TryGetValue(c, out int m) && m != n)
                    throw new ArgumentException(Err(
                        $"letter '{c}' has sizes {m} and {n} (operand {i}, {Shapes.Format(operands[i].shape)})"));
                sizes[c] = n;
                count[c] = count.GetValueOrDefault(c) + 1;
            }
        }
        string output;
        if (arrow >= 0)
        {
            output = eq[(arrow + 2)..];
            foreach (char c in output)
            {
                if (!count.ContainsKey(c)) throw new ArgumentException(Err($"output letter '{c}' appears in no input"));
                if (output.IndexOf(c) != output.LastIndexOf(c))
                    throw new ArgumentException(Err($"output letter '{c}' repeats"));
            }
        }
        else
        {
            var once = count.Where(kv => kv.Value == 1).Select(kv => kv.Key).ToArray();
            System.Array.Sort(once, (a, b) => a.CompareTo(b));
            output = new string(once);
        }

        // Letters the operands after `from` or the output still need.
        string Needed(int from) => output + string.Concat(terms.Skip(from));

        var (cur, letters) = Diagonals(operands[0], terms[0]);
        (cur, letters) = SumUnneeded(cur, letters, Needed(1));
        for (int j = 1; j < operands.Length; j++)
        {
            var (next, nl) = Diagonals(operands[j], terms[j]);
            string later = Needed(j + 1);
            (cur, letters) = SumUnneeded(cur, letters, later + nl);
            (next, nl) = SumUnneeded(next, nl, later + letters);
            (cur, letters) = Contract(cur, letters, next, nl, later);
        }
        (cur, letters) = SumUnneeded(cur, letters, output);
        var perm = output.Select(c => letters.IndexOf(c)).ToArray();
        return perm.Length < 2 ? cur : cur.Permute(perm);
    }

    // Removes repeated letters of one term by taking diagonals, so every letter names one dimension.
    private static (Tensor, string) Diagonals(Tensor x, string term)
    {
        for (int i = 0; i < term.Length; i++)
        {
            int j = term.IndexOf(term[i], i + 1);
            if (j < 0) continue;
            return Diagonals(x.Diagonal(i, j), term.Remove(j, 1));
        }
        return (x, term);
    }

    private static (Tensor, string) SumUnneeded(Tensor x, string letters, string needed)
    {
        var axes = new List<int>();
        for (int i = 0; i < letters.Length; i++)
        {
            if (!needed.Contains(letters[i])) axes.Add(i);
        }
        if (axes.Count == 0) return (x, letters);
        string kept = new(letters.Where((c, i) => !axes.Contains(i)).ToArray());
        return (x.Sum(axes.ToArray()), kept);
    }

    // a and b share batch letters (kept) and contracted letters (summed); the others are a's left and b's right.
    private static (Tensor, string) Contract(Tensor a, string la, Tensor b, string lb, string later)
    {
        string batch = new(la.Where(c => lb.Contains(c) && later.Contains(c)).ToArray());
        string inner = new(la.Where(c => lb.Contains(c) && !later.Contains(c)).ToArray());
        string left = new(la.Where(c => !lb.Contains(c)).ToArray());
        string right = new(lb.Where(c => !la.Contains(c)).ToArray());
        int Size(Tensor t, string l, string of) => of.Aggregate(1, (p, c) => p * t.shape[l.IndexOf(c)]);
        int nb = Size(a, la, batch), nl = Size(a, la, left), nk = Size(a, la, inner), nr = Size(b, lb, right);
        int[] Perm(string l, string order) => order.Select(c => l.IndexOf(c)).ToArray();
        var am = a.Permute(Perm(la, batch + left + inner)).Reshape(nb, nl, nk);
        var bm = b.Permute(Perm(lb, batch + inner + right)).Reshape(nb, nk, nr);
        var shape = (batch + left).Select(c => a.shape[la.IndexOf(c)])
            .Concat(right.Select(c => b.shape[lb.IndexOf(c)])).ToArray();
        return (am.MatMul(bm).Reshape(shape), batch + left + right);
    }

    /// <summary>The diagonal of dimensions <paramref name="dim1"/> and <paramref name="dim2"/> (of equal size) as
    /// a view: dim2 is removed and dim1 walks the diagonal.   dx: g written onto the diagonal of zeros</summary>
    public Tensor Diagonal(int dim1, int dim2)
    {
        var x = this;
        int d1 = Shapes.Axis("Diagonal", dim1, Rank), d2 = Shapes.Axis("Diagonal", dim2, Rank);
        if (d1 == d2 || shape[d1] != shape[d2])
            throw new ArgumentException(
                $"Diagonal: dimensions {dim1} and {dim2} of {Shapes.Format(shape)} must differ and have equal sizes");
        var ns = new List<int>(shape);
        var nst = new List<int>(strides);
        nst[d1] = strides[d1] + strides[d2];
        ns.RemoveAt(d2);
        nst.RemoveAt(d2);
        var y = ViewOf(ns.ToArray(), nst.ToArray(), Offset);
        return Tracks(x) ? y.Record("Diagonal", [x], g => [ViewGrad(g, x, z => z.Diagonal(d1, d2))]) : y;
    }
}
