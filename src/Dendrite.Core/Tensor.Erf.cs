using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dendrite;

// erf for float32 tensors (GELU's hot path), vectorised: each lane is widened to double, evaluated by the formula
// below to about 1e-11, and rounded back, so the float result is within an ulp of the true value.
//   |x| < 1:      erf x = x · Σₙ (-1)ⁿ 2/√π · x²ⁿ / (n! (2n+1))    (Maclaurin series, 14 terms: error < 1e-12)
//   1 ≤ |x| < 4:  erf x = 1 - exp(-x²) · R(|x|),  R(a) = erfc(a) exp(a²) fitted by tools/make_erf_coefficients.py
//   |x| ≥ 4:      erf x = ±1                                         (erfc 4 ≈ 1.5e-8 is below half an ulp of 1)
// The sign is copied from x, so erf(-0) = -0; NaN propagates.
public partial class Tensor
{
    private static readonly double[] SeriesCoefficients = MakeSeries(14);

    // erfc(a)·exp(a²) on [1.0, 4.0], powers of u = (2a - 5) / 3 from u⁰ up (largest error on erf: 1.7e-11)
    private static readonly double[] TailCoefficients =
    [
        0.21080636405464506,
        -0.11152102074916927,
        0.0561104942731858,
        -0.02700527578371275,
        0.012489356648962972,
        -0.005570928957590991,
        0.0024037838309849506,
        -0.0010047884671573395,
        0.0004085591379541022,
        -0.00016449744233691584,
        6.367239120780082e-05,
        -2.0489648651540697e-05,
        7.473529136996708e-06,
        -5.058176704317376e-06,
        1.8130174853548596e-06,
    ];

    private static double[] MakeSeries(int terms)
    {
        var c = new double[terms];
        double factorial = 1;
        for (int n = 0; n < terms; n++)
        {
            if (n > 0) factorial *= n;
            c[n] = (n % 2 == 0 ? 2 : -2) / Math.Sqrt(Math.PI) / (factorial * (2 * n + 1));
        }
        return c;
    }

    /// <summary>erf of every element of <paramref name="x"/> into <paramref name="y"/> (the spans may be the same),
    /// with Vector256 lanes where the hardware has them and <see cref="ErfFloat(float)"/> for the tail.</summary>
    internal static void ErfFloat(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var lo = ErfLanes(Vector256.WidenLower(v));
                var hi = ErfLanes(Vector256.WidenUpper(v));
                Vector256.Narrow(lo, hi).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) y[i] = ErfFloat(x[i]);
    }

    /// <summary>The scalar reference of the float32 kernel: the same formula in double, rounded to float.</summary>
    internal static float ErfFloat(float x)
    {
        double v = x, a = Math.Abs(v), t = a * a, r;
        if (a < 1)
        {
            r = Horner(SeriesCoefficients, t) * a;
        }
        else if (a < 4)
        {
            r = 1 - Math.Exp(-t) * Horner(TailCoefficients, (2 * a - 5) / 3);
        }
        else
        {
            r = double.IsNaN(a) ? a : 1;
        }
        return (float)(v < 0 || (v == 0 && double.IsNegative(v)) ? -r : r);
    }

    private static double Horner(double[] c, double u)
    {
        double s = c[^1];
        for (int k = c.Length - 2; k >= 0; k--) s = Math.FusedMultiplyAdd(s, u, c[k]);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ErfLanes(Vector256<double> v)
    {
        var a = Vector256.Abs(v);
        var t = a * a;
        var series = Vector256.Create(SeriesCoefficients[^1]);
        for (int k = SeriesCoefficients.Length - 2; k >= 0; k--)
            series = Vector256.FusedMultiplyAdd(series, t, Vector256.Create(SeriesCoefficients[k]));
        series *= a;
        var u = (a + a - Vector256.Create(5.0)) / Vector256.Create(3.0);
        var tail = Vector256.Create(TailCoefficients[^1]);
        for (int k = TailCoefficients.Length - 2; k >= 0; k--)
            tail = Vector256.FusedMultiplyAdd(tail, u, Vector256.Create(TailCoefficients[k]));
        var one = Vector256.Create(1.0);
        tail = one - Vector256.Exp(-t) * tail;
        var r = Vector256.ConditionalSelect(Vector256.LessThan(a, one), series, tail);
        // |x| ≥ 4 (∞ included) gives 1; NaN fails every comparison and keeps the tail's NaN.
        r = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256.Create(4.0)), one, r);
        return r | (v & Vector256.Create(-0.0));
    }
}
