namespace Dendrite.Tests.Kernels;

/// <summary>Comparisons of float32 kernel results with a float64 reference, shared by the convolution tests.</summary>
internal static class KernelAssert
{
    public static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>Every element within 1e-4 of the reference, relative to 1 + |expected|; the message names what, the
    /// index and both values.</summary>
    public static void Close(double[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length || actual.Length == expected.Length + GuardLength,
            $"{what}: {actual.Length} elements for {expected.Length} expected");
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = 1e-4 * (1 + Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol,
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        }
        // A guarded buffer (Garbage): nothing may be written past the result.
        for (int i = expected.Length; i < actual.Length; i++)
            Assert.True(actual[i] == Fill, $"{what}: written past the end, at {i - expected.Length}");
    }

    /// <summary>Floats after a result in a <see cref="Garbage"/> buffer, where no kernel may write.</summary>
    public const int GuardLength = 64;

    private const float Fill = 7f;

    /// <summary>An output buffer of <paramref name="length"/> floats plus a guard, all of it garbage (7): a kernel
    /// must overwrite every element of the result and nothing after it (see <see cref="Close"/>).</summary>
    public static float[] Garbage(int length) => Enumerable.Repeat(Fill, length + GuardLength).ToArray();
}
