namespace Dendrite.IO;

// Checks shared by operators whose output size comes from attribute or input values rather than from the
// shapes of their inputs. ONNX files are untrusted: such a size is validated before anything is allocated.
internal static partial class OnnxOps
{
    /// <summary>The most elements an operator may produce from sizes it computes (2²⁸, 2 GiB of doubles).
    /// Larger requests are refused with an error instead of exhausting memory.</summary>
    internal const long MaxComputedElements = 1L << 28;

    /// <summary>The element count of <paramref name="shape"/>, after checking every dimension is non-negative
    /// and the total is at most <see cref="MaxComputedElements"/>.</summary>
    private static int CheckedNumel(OnnxNode n, ReadOnlySpan<long> shape, string what)
    {
        long total = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0) throw n.Error($"{what}[{i}] = {shape[i]} is negative");
            if (shape[i] > MaxComputedElements || total * shape[i] > MaxComputedElements)
                throw n.Error($"{what} [{string.Join(",", shape.ToArray())}] holds more than "
                    + $"{MaxComputedElements} elements");
            total *= shape[i];
        }
        return (int)total;
    }

    /// <summary>Row-major strides of <paramref name="shape"/>.</summary>
    private static int[] StridesOf(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }
}
