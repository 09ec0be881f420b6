// The bars-and-stripes patterns (MacKay, "Information Theory, Inference, and Learning Algorithms", 2003, §43): on an
// s × s grid every row is all on or all off (stripes) or every column is (bars). There are 2^{s+1} − 2 distinct
// patterns (the empty and the full grid are both bars and stripes, counted once). Small enough for exact likelihoods
// with s = 3 (9 units) or s = 4 (16), and hard for models without hidden units, since the pixels are only correlated
// through the choice of bars or stripes.

namespace Dendrite.Models.Energy;

/// <summary>The bars-and-stripes data set.</summary>
public static class BarsAndStripes
{
    /// <summary>Every distinct pattern on a <paramref name="size"/> × <paramref name="size"/> grid, flattened row by
    /// row: (2^{s+1} − 2, s²), float32 0/1.</summary>
    public static Tensor Patterns(int size)
    {
        if (size is < 1 or > 8) throw new ArgumentException($"BarsAndStripes.Patterns: size must be 1..8, got {size}");
        var seen = new HashSet<string>();
        var rows = new List<float[]>();
        foreach (bool stripes in new[] { true, false })
        {
            for (int mask = 0; mask < 1 << size; mask++)
            {
                var p = new float[size * size];
                for (int r = 0; r < size; r++)
                    for (int c = 0; c < size; c++) p[r * size + c] = (mask >> (stripes ? r : c) & 1) == 1 ? 1 : 0;
                if (seen.Add(string.Concat(p))) rows.Add(p);
            }
        }
        return Tensor.From([.. rows]);
    }
}
