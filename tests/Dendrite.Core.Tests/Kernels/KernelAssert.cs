using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

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

    /// <summary>Forward (with a bias when <paramref name="withBias"/>), input and weight gradients of
    /// <paramref name="s"/> through the public entry points against <see cref="ConvReference"/> in float64, on
    /// random data from <paramref name="seed"/>, each into a <see cref="Garbage"/> buffer.</summary>
    public static void ConvMatchesReference(ConvShape s, bool withBias, ulong seed)
    {
        var gen = new Generator(seed);
        var x = Tensor.Randn([s.N * s.C * s.H * s.W], gen).ToFloatArray();
        var wt = Tensor.Randn([s.O * s.K], gen).ToFloatArray();
        var b = withBias ? Tensor.Randn([s.O], gen).ToFloatArray() : [];
        var dy = Tensor.Randn([s.N * s.O * s.L], gen).ToFloatArray();

        var y64 = new double[s.N * s.O * s.L];
        ConvReference.Forward<double>(D(x), D(wt), D(b), y64, s);
        var y = Garbage(y64.Length);
        Conv.Forward(x, wt, b, y, s);
        Close(y64, y, $"forward {s}");

        var dx64 = new double[x.Length];
        ConvReference.BackwardInput<double>(D(dy), D(wt), dx64, s);
        var dx = Garbage(x.Length);
        Conv.BackwardInput(dy, wt, dx, s);
        Close(dx64, dx, $"input gradient {s}");

        var dw64 = new double[wt.Length];
        ConvReference.BackwardWeight<double>(D(x), D(dy), dw64, s);
        var dw = Garbage(wt.Length);
        Conv.BackwardWeight(x, dy, dw, s);
        Close(dw64, dw, $"weight gradient {s}");
    }
}
