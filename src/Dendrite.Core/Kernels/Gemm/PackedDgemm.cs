using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>Double-precision GEMM with packed panels, the float64 sibling of <see cref="PackedSgemm"/> on a single
/// AVX2/FMA micro-kernel: a 6×8 tile of twelve Vector256&lt;double&gt; accumulators. Row-major,
/// C = alpha·op(A)·op(B) + beta·C; op(A) and op(B) are read in place whatever their transposition.</summary>
/// <remarks>
/// Loop nest: jc (Nc columns of B) → pc (Kc of k; B[pc, jc] packed once into 8-wide slivers, shared by the threads)
/// → ic (Mc rows, one block per thread at a time; A[ic, pc] packed into 6-tall slivers) → jr (one B sliver) → ir
/// (one A sliver) → micro-kernel. Packed A sliver: element (i, p) at p·6 + i; packed B sliver: element (p, j) at
/// p·8 + j; edge slivers are zero-padded, and edge tiles go through a small buffer so only the final store is
/// clipped. Blocking: a B block of 256×384 doubles (768 KiB) stays in the 1 MiB L2, an A sliver (12 KiB) in L1.
/// </remarks>
internal static unsafe class PackedDgemm
{
    private const int Mr = 6, Nr = 8, Kc = 256, Mc = 72, Nc = 384;

    /// <summary>Whether this machine runs the packed kernel (AVX2 and FMA); elsewhere the generic loop runs.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    [ThreadStatic] private static double[]? packA;
    [ThreadStatic] private static double[]? packB;

    /// <summary>C = alpha·op(A)·op(B) + beta·C on up to <see cref="Threads.Count"/> threads. Requires
    /// <see cref="IsSupported"/>; arguments are checked by the caller.</summary>
    public static void Run(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda,
        double* b, int ldb, double beta, double* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        ScaleC(m, n, beta, c, ldc);
        if (k == 0 || alpha == 0) return;
        packB ??= GC.AllocateUninitializedArray<double>(Kc * Nc, pinned: true);
        fixed (double* pb = packB)
        {
            for (int jc = 0; jc < n; jc += Nc)
            {
                int nc = Math.Min(Nc, n - jc);
                for (int pc = 0; pc < k; pc += Kc)
                {
                    int kc = Math.Min(Kc, k - pc);
                    PackB(transB, b, ldb, pc, jc, kc, nc, pb);
                    int blocks = (m + Mc - 1) / Mc;
                    long workPerBlock = (long)Mc * nc * kc;
                    int grain = (int)Math.Clamp(PackedSgemm.MinWorkPerThread / Math.Max(1, workPerBlock), 1, blocks);
                    double* bBlock = pb, cc = c;
                    int jj = jc, pp = pc, kk = kc, nn = nc;
                    Parallel.For(blocks, grain, (lo, hi) =>
                    {
                        for (int blk = lo; blk < hi; blk++)
                        {
                            int ic = blk * Mc, mc = Math.Min(Mc, m - ic);
                            Block(transA, a, lda, ic, pp, mc, kk, nn, bBlock, alpha, cc + (long)ic * ldc + jj, ldc);
                        }
                    });
                }
            }
        }
    }

    private static void ScaleC(int m, int n, double beta, double* c, int ldc)
    {
        if (beta == 1) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<double>(c + (long)i * ldc, n);
            if (beta == 0) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    // Packs B[pc:pc+kc, jc:jc+nc] (of op(B)) into Nr-wide slivers, zero-padding the last one.
    private static void PackB(bool transB, double* b, int ldb, int pc, int jc, int kc, int nc, double* dst)
    {
        for (int s = 0; s < nc; s += Nr)
        {
            int w = Math.Min(Nr, nc - s);
            double* d = dst + (long)s * kc;
            for (int p = 0; p < kc; p++, d += Nr)
            {
                int j = 0;
                if (transB)
                {
                    for (; j < w; j++) d[j] = b[(long)(jc + s + j) * ldb + pc + p];
                }
                else
                {
                    double* src = b + (long)(pc + p) * ldb + jc + s;
                    for (; j < w; j++) d[j] = src[j];
                }
                for (; j < Nr; j++) d[j] = 0;
            }
        }
    }

    // Packs A[ic:ic+mc, pc:pc+kc] (of op(A)) into Mr-tall slivers and multiplies it by the packed B block.
    private static void Block(bool transA, double* a, int lda, int ic, int pc, int mc, int kc, int nc, double* pb,
        double alpha, double* c, int ldc)
    {
        packA ??= GC.AllocateUninitializedArray<double>(Mc * Kc, pinned: true);
        fixed (double* pa = packA)
        {
            for (int s = 0; s < mc; s += Mr)
            {
                int h = Math.Min(Mr, mc - s);
                double* d = pa + (long)s * kc;
                for (int p = 0; p < kc; p++, d += Mr)
                {
                    int i = 0;
                    if (transA)
                    {
                        double* src = a + (long)(pc + p) * lda + ic + s;
                        for (; i < h; i++) d[i] = src[i];
                    }
                    else
                    {
                        for (; i < h; i++) d[i] = a[(long)(ic + s + i) * lda + pc + p];
                    }
                    for (; i < Mr; i++) d[i] = 0;
                }
            }
            for (int js = 0; js < nc; js += Nr)
            {
                int w = Math.Min(Nr, nc - js);
                for (int s = 0; s < mc; s += Mr)
                {
                    int h = Math.Min(Mr, mc - s);
                    Kernel(kc, pa + (long)s * kc, pb + (long)js * kc, alpha, c + (long)s * ldc + js, ldc, h, w);
                }
            }
        }
    }

    // C[0:rows, 0:cols] += alpha · (6×kc sliver) · (kc×8 sliver).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int kc, double* ap, double* bp, double alpha, double* c, int ldc, int rows, int cols)
    {
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<double> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, ap += Mr, bp += Nr)
        {
            var b0 = Avx.LoadVector256(bp);
            var b1 = Avx.LoadVector256(bp + 4);
            var x = Vector256.Create(ap[0]);
            c00 = Fma.MultiplyAdd(x, b0, c00);
            c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(ap[1]);
            c10 = Fma.MultiplyAdd(x, b0, c10);
            c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(ap[2]);
            c20 = Fma.MultiplyAdd(x, b0, c20);
            c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(ap[3]);
            c30 = Fma.MultiplyAdd(x, b0, c30);
            c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(ap[4]);
            c40 = Fma.MultiplyAdd(x, b0, c40);
            c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(ap[5]);
            c50 = Fma.MultiplyAdd(x, b0, c50);
            c51 = Fma.MultiplyAdd(x, b1, c51);
        }
        var al = Vector256.Create(alpha);
        if (rows == Mr && cols == Nr)
        {
            Add(c, al, c00, c01);
            Add(c + ldc, al, c10, c11);
            Add(c + 2L * ldc, al, c20, c21);
            Add(c + 3L * ldc, al, c30, c31);
            Add(c + 4L * ldc, al, c40, c41);
            Add(c + 5L * ldc, al, c50, c51);
            return;
        }
        double* t = stackalloc double[Mr * Nr];
        Avx.Store(t, c00);
        Avx.Store(t + 4, c01);
        Avx.Store(t + 8, c10);
        Avx.Store(t + 12, c11);
        Avx.Store(t + 16, c20);
        Avx.Store(t + 20, c21);
        Avx.Store(t + 24, c30);
        Avx.Store(t + 28, c31);
        Avx.Store(t + 32, c40);
        Avx.Store(t + 36, c41);
        Avx.Store(t + 40, c50);
        Avx.Store(t + 44, c51);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) c[(long)i * ldc + j] += alpha * t[i * Nr + j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(double* c, Vector256<double> alpha, Vector256<double> lo, Vector256<double> hi)
    {
        Avx.Store(c, Fma.MultiplyAdd(alpha, lo, Avx.LoadVector256(c)));
        Avx.Store(c + 4, Fma.MultiplyAdd(alpha, hi, Avx.LoadVector256(c + 4)));
    }
}
