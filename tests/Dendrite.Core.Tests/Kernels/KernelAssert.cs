namespace Dendrite.Tests.Kernels;

/// <summary>Comparisons of float32 kernel results with a float64 reference, shared by the convolution tests.</summary>
internal static class KernelAssert
{
    public static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>Every element within 1e-4 of the reference, relative to 1 + |expected|; the message names what, the
    /// index and both values.</summary>
    public static void Close(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = 1e-4 * (1 + Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol,
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
