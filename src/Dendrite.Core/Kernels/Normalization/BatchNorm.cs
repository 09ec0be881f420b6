using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite.Kernels;

/// <summary>
/// Float32 batch normalisation in training mode over contiguous (N, C, S) buffers (S = the product of the
/// trailing dimensions; statistics per channel over N and S, M = N·S values each). Three passes in all:
///   statistics: one read of x giving Σ(x-K) and Σ(x-K)² per channel (K, the channel's first value, keeps the
///               variance free of the cancellation of E[x²] - E[x]²),
///   normalise:  y = x·a + b with a = γ/√(var+ε) and b = β - mean·a,
///   backward:   one read of g and x for Σg and Σg·x, one write of dx = g·A + x·B + C per channel, where with
///               r = 1/√(var+ε), x̂ = (x-mean)·r, mg = Σg/M and mgx = Σg·x̂/M:
///               dx = γr(g - mg - x̂·mgx), so A = γr, B = -γr²·mgx, C = γr(r·mean·mgx - mg);
///               dγ = Σg·x̂ = r(Σg·x - mean·Σg), dβ = Σg.
/// Channels are split across the threads.
/// </summary>
internal static class BatchNorm
{
    /// <summary>Biased batch mean and variance per channel of x (N, C, S).</summary>
    public static void Statistics(ReadOnlySpan<float> x, int n, int c, int s, Span<float> mean, Span<float> var)
    {
        Check("BatchNorm.Statistics", x.Length, n, c, s, mean.Length, var.Length);
        var (ms, vs) = (new double[c], new double[c]);
        unsafe
        {
            fixed (float* px = x)
            {
                float* xp = px;
                Parallel.For(c, 1, (lo, hi) =>
                {
                    for (int ch = lo; ch < hi; ch++)
                    {
                        float shift = n * s == 0 ? 0f : xp[(long)ch * s];
                        double s1 = 0, s2 = 0;
                        for (int i = 0; i < n; i++)
                        {
                            var (a, b) = ShiftedSums(new ReadOnlySpan<float>(xp + ((long)i * c + ch) * s, s), shift);
                            s1 += a;
                            s2 += b;
                        }
                        double m = Math.Max(1L, (long)n * s), d = s1 / m;
                        ms[ch] = shift + d;
                        vs[ch] = Math.Max(0, s2 / m - d * d);
                    }
                });
            }
        }
        for (int ch = 0; ch < c; ch++)
        {
            mean[ch] = (float)ms[ch];
            var[ch] = (float)vs[ch];
        }
    }

    /// <summary>y = (x - mean)/√(var+ε)·γ + β, one pass over x.</summary>
    public static unsafe void Normalize(ReadOnlySpan<float> x, int n, int c, int s, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> var, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, double eps, Span<float> y)
    {
        Check("BatchNorm.Normalize", x.Length, n, c, s, mean.Length, var.Length, gamma.Length, beta.Length);
        if (y.Length < x.Length)
            throw new ArgumentException($"BatchNorm.Normalize: output of {y.Length} elements, input {x.Length}");
        var scale = new float[c];
        var shift = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double r = 1 / Math.Sqrt(var[ch] + eps);
            scale[ch] = (float)(gamma[ch] * r);
            shift[ch] = (float)(beta[ch] - mean[ch] * gamma[ch] * r);
        }
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            Parallel.For(c, 1, (lo, hi) =>
            {
                for (int ch = lo; ch < hi; ch++)
                {
                    for (int i = 0; i < n; i++)
                    {
                        long at = ((long)i * c + ch) * s;
                        Affine(new ReadOnlySpan<float>(xp + at, s), scale[ch], shift[ch],
                            new Span<float>(yp + at, s));
                    }
                }
            });
        }
    }

    /// <summary>Gradients of <see cref="Normalize"/> with batch statistics: dx (may be empty to skip), dγ,
    /// dβ.</summary>
    public static unsafe void Backward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, int n, int c, int s,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> var, ReadOnlySpan<float> gamma, double eps, Span<float> dx,
        Span<float> dGamma, Span<float> dBeta)
    {
        Check("BatchNorm.Backward", x.Length, n, c, s, mean.Length, var.Length, gamma.Length, dGamma.Length,
            dBeta.Length);
        if (g.Length < x.Length || (!dx.IsEmpty && dx.Length < x.Length))
            throw new ArgumentException($"BatchNorm.Backward: gradient of {g.Length} and dx of {dx.Length} " +
                $"elements, input {x.Length}");
        var (m, v, gm) = (mean.ToArray(), var.ToArray(), gamma.ToArray());
        var (dg, db) = (new float[c], new float[c]);
        bool wantDx = !dx.IsEmpty;
        fixed (float* pg = g, px = x, pdx = dx)
        {
            float* gp = pg, xp = px, dxp = pdx;
            Parallel.For(c, 1, (lo, hi) =>
            {
                for (int ch = lo; ch < hi; ch++)
                {
                    double sg = 0, sgx = 0;
                    for (int i = 0; i < n; i++)
                    {
                        long at = ((long)i * c + ch) * s;
                        var gs = new ReadOnlySpan<float>(gp + at, s);
                        sg += TensorPrimitives.Sum(gs);
                        sgx += TensorPrimitives.Dot(gs, new ReadOnlySpan<float>(xp + at, s));
                    }
                    double r = 1 / Math.Sqrt(v[ch] + eps), count = Math.Max(1L, (long)n * s);
                    double sgxhat = r * (sgx - m[ch] * sg);
                    dg[ch] = (float)sgxhat;
                    db[ch] = (float)sg;
                    if (!wantDx) continue;
                    double mg = sg / count, mgx = sgxhat / count, gr = gm[ch] * r;
                    float a = (float)gr, b = (float)(-gr * r * mgx), cc = (float)(gr * (r * m[ch] * mgx - mg));
                    for (int i = 0; i < n; i++)
                    {
                        long at = ((long)i * c + ch) * s;
                        var d = new Span<float>(dxp + at, s);
                        // dx = x·B + C, then += g·A.
                        Affine(new ReadOnlySpan<float>(xp + at, s), b, cc, d);
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(gp + at, s), a, d, d);
                    }
                }
            });
        }
        dg.CopyTo(dGamma);
        db.CopyTo(dBeta);
    }

    // dst = src·a + b.
    private static void Affine(ReadOnlySpan<float> src, float a, float b, Span<float> dst)
    {
        var va = new Vector<float>(a);
        var vb = new Vector<float>(b);
        int i = 0, w = Vector<float>.Count;
        for (; i <= src.Length - w; i += w) (new Vector<float>(src.Slice(i, w)) * va + vb).CopyTo(dst.Slice(i, w));
        for (; i < src.Length; i++) dst[i] = src[i] * a + b;
    }

    // Σ(x-K) and Σ(x-K)² over one row, vectorised, accumulated in float within the row.
    private static (double Sum, double Squares) ShiftedSums(ReadOnlySpan<float> row, float shift)
    {
        var vs = Vector<float>.Zero;
        var vq = Vector<float>.Zero;
        var k = new Vector<float>(shift);
        int i = 0, w = Vector<float>.Count;
        for (; i <= row.Length - w; i += w)
        {
            var d = new Vector<float>(row.Slice(i, w)) - k;
            vs += d;
            vq += d * d;
        }
        double s1 = Vector.Sum(vs), s2 = Vector.Sum(vq);
        for (; i < row.Length; i++)
        {
            double d = row[i] - shift;
            s1 += d;
            s2 += d * d;
        }
        return (s1, s2);
    }

    private static void Check(string op, int length, int n, int c, int s, params ReadOnlySpan<int> perChannel)
    {
        if (n < 0 || c < 0 || s < 0 || (long)n * c * s > length)
            throw new ArgumentException($"{op}: (N={n}, C={c}, S={s}) does not fit a buffer of {length} elements");
        foreach (int len in perChannel)
        {
            if (len < c) throw new ArgumentException($"{op}: per-channel buffer of {len} elements for {c} channels");
        }
    }
}
