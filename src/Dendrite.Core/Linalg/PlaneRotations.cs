using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite;

// Sequences of plane rotations applied to consecutive rows of a row-major matrix (LAPACK's lasr with pivot 'V'):
// rotation j of a sequence mixes rows r+j and r+j+1 as
//   row_j ← c_j·row_j + s_j·row_{j+1},   row_{j+1} ← c_j·row_{j+1} − s_j·row_j,
// for j = 0, 1, … (forward) or from the last down (backward). This is where the bidiagonal QR iteration spends its
// time: each sweep rotates the singular-vector matrices (held as rows: Uᵀ and Vᵀ). A sweep alone does 6 flops per
// 16 bytes moved, so it would run at the speed of memory; the iteration therefore hands over many sweeps at once,
// and they are applied strip by strip: a strip of 16 columns, copied into a dense block (64 KiB for 512 rows), takes
// every sweep in turn while it stays in cache. Within a sweep the row carried to the next rotation stays in
// registers, so each element is loaded and stored once per sweep. The strips of all the matrices are shared out to the threads.
//
// Legend: x row-major with row length ld, r the first row of a sequence, count the rows it touches (count − 1
// rotations, stored from offset in the matrix's c and s buffers).
internal static unsafe class PlaneRotations
{
    private const int Strip = 16;

    // Fewest element updates (rows × columns over all sequences and matrices) worth splitting over threads.
    private const int ParallelElements = 24 * 1024;

    /// <summary>One sequence: rows First..First+Count−1, rotations from Offset in the buffers, in the order
    /// given by Forward.</summary>
    public readonly record struct Sequence(bool Forward, int First, int Count, int Offset);

    /// <summary>Applies the sequences in order to every matrix (rows of length Cols, rotations from its own C and S
    /// buffers), sharing the column strips of all the matrices among the threads.</summary>
    public static void Apply(Sequence[] sequences, int sequenceCount,
        (double[] X, int Cols, double[] C, double[] S)[] list)
    {
        if (sequenceCount == 0) return;
        int strips = 0;
        long rows = 0, elements = 0;
        for (int q = 0; q < sequenceCount; q++) rows += sequences[q].Count;
        foreach (var (_, cols, _, _) in list)
        {
            strips += (cols + Strip - 1) / Strip;
            elements += cols * rows;
        }
        if (strips == 0) return;
        if (elements < ParallelElements || Kernels.Threads.Count < 2)
        {
            RunStrips(sequences, sequenceCount, list, 0, strips);
            return;
        }
        Kernels.Parallel.For(strips, 1, (s0, s1) => RunStrips(sequences, sequenceCount, list, s0, s1));
    }

    [ThreadStatic] private static double[]? stripBuffer;

    private static void RunStrips(Sequence[] sequences, int sequenceCount,
        (double[] X, int Cols, double[] C, double[] S)[] list, int s0, int s1)
    {
        // The rows any sequence touches.
        int top = int.MaxValue, bottom = 0;
        for (int q = 0; q < sequenceCount; q++)
        {
            top = Math.Min(top, sequences[q].First);
            bottom = Math.Max(bottom, sequences[q].First + sequences[q].Count);
        }
        int rows = bottom - top;
        if (stripBuffer is null || stripBuffer.Length < rows * Strip) stripBuffer = new double[rows * Strip];
        int first = 0;
        foreach (var (x, cols, c, s) in list)
        {
            int n = (cols + Strip - 1) / Strip;
            fixed (double* px = x, pc = c, ps = s, pb = stripBuffer)
            {
                for (int strip = Math.Max(s0, first); strip < Math.Min(s1, first + n); strip++)
                {
                    // The strip is copied into a dense rows×16 block: in place, its rows lie a whole row of x
                    // apart (4 KiB for 512 columns), so they fall into the same few cache sets and evict each other.
                    int c0 = (strip - first) * Strip, width = Math.Min(cols, c0 + Strip) - c0;
                    for (int i = 0; i < rows; i++)
                        new ReadOnlySpan<double>(px + (long)(top + i) * cols + c0, width).CopyTo(
                            new Span<double>(pb + i * Strip, width));
                    for (int q = 0; q < sequenceCount; q++)
                    {
                        var (forward, r, count, offset) = sequences[q];
                        if (count < 2) continue;
                        double* block = pb + (r - top) * Strip;
                        if (forward) Forward(block, Strip, count, pc + offset, ps + offset, 0, width);
                        else Backward(block, Strip, count, pc + offset, ps + offset, 0, width);
                    }
                    for (int i = 0; i < rows; i++)
                        new ReadOnlySpan<double>(pb + i * Strip, width).CopyTo(
                            new Span<double>(px + (long)(top + i) * cols + c0, width));
                }
            }
            first += n;
        }
    }

    // Rotations j = 0..count−2 in order on columns [c0, c1) of rows 0..count−1 of x.
    private static void Forward(double* x, int ld, int count, double* c, double* s, int c0, int c1)
    {
        int col = c0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; col + 16 <= c1; col += 16)
            {
                double* p = x + col;
                var a0 = Vector256.Load(p);
                var a1 = Vector256.Load(p + 4);
                var a2 = Vector256.Load(p + 8);
                var a3 = Vector256.Load(p + 12);
                for (int j = 0; j < count - 1; j++)
                {
                    double* q = p + ld;
                    var cj = Vector256.Create(c[j]);
                    var sj = Vector256.Create(s[j]);
                    var b0 = Vector256.Load(q);
                    var b1 = Vector256.Load(q + 4);
                    var b2 = Vector256.Load(q + 8);
                    var b3 = Vector256.Load(q + 12);
                    Mad(sj, b0, cj * a0).Store(p);
                    Mad(sj, b1, cj * a1).Store(p + 4);
                    Mad(sj, b2, cj * a2).Store(p + 8);
                    Mad(sj, b3, cj * a3).Store(p + 12);
                    a0 = Msub(cj, b0, sj * a0);
                    a1 = Msub(cj, b1, sj * a1);
                    a2 = Msub(cj, b2, sj * a2);
                    a3 = Msub(cj, b3, sj * a3);
                    p = q;
                }
                a0.Store(p);
                a1.Store(p + 4);
                a2.Store(p + 8);
                a3.Store(p + 12);
            }
            for (; col + 4 <= c1; col += 4)
            {
                double* p = x + col;
                var a0 = Vector256.Load(p);
                for (int j = 0; j < count - 1; j++)
                {
                    double* q = p + ld;
                    var b0 = Vector256.Load(q);
                    var cj = Vector256.Create(c[j]);
                    var sj = Vector256.Create(s[j]);
                    Mad(sj, b0, cj * a0).Store(p);
                    a0 = Msub(cj, b0, sj * a0);
                    p = q;
                }
                a0.Store(p);
            }
        }
        for (; col < c1; col++)
        {
            double* p = x + col;
            double a = *p;
            for (int j = 0; j < count - 1; j++)
            {
                double* q = p + ld;
                double b = *q;
                *p = c[j] * a + s[j] * b;
                a = c[j] * b - s[j] * a;
                p = q;
            }
            *p = a;
        }
    }

    // Rotations j = count−2..0 in that order on columns [c0, c1) of rows 0..count−1 of x.
    private static void Backward(double* x, int ld, int count, double* c, double* s, int c0, int c1)
    {
        int col = c0;
        long last = (long)(count - 1) * ld;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; col + 16 <= c1; col += 16)
            {
                double* q = x + last + col;
                var b0 = Vector256.Load(q);
                var b1 = Vector256.Load(q + 4);
                var b2 = Vector256.Load(q + 8);
                var b3 = Vector256.Load(q + 12);
                for (int j = count - 2; j >= 0; j--)
                {
                    double* p = q - ld;
                    var cj = Vector256.Create(c[j]);
                    var sj = Vector256.Create(s[j]);
                    var a0 = Vector256.Load(p);
                    var a1 = Vector256.Load(p + 4);
                    var a2 = Vector256.Load(p + 8);
                    var a3 = Vector256.Load(p + 12);
                    Msub(cj, b0, sj * a0).Store(q);
                    Msub(cj, b1, sj * a1).Store(q + 4);
                    Msub(cj, b2, sj * a2).Store(q + 8);
                    Msub(cj, b3, sj * a3).Store(q + 12);
                    b0 = Mad(sj, b0, cj * a0);
                    b1 = Mad(sj, b1, cj * a1);
                    b2 = Mad(sj, b2, cj * a2);
                    b3 = Mad(sj, b3, cj * a3);
                    q = p;
                }
                b0.Store(q);
                b1.Store(q + 4);
                b2.Store(q + 8);
                b3.Store(q + 12);
            }
            for (; col + 4 <= c1; col += 4)
            {
                double* q = x + last + col;
                var b0 = Vector256.Load(q);
                for (int j = count - 2; j >= 0; j--)
                {
                    double* p = q - ld;
                    var a0 = Vector256.Load(p);
                    var cj = Vector256.Create(c[j]);
                    var sj = Vector256.Create(s[j]);
                    Msub(cj, b0, sj * a0).Store(q);
                    b0 = Mad(sj, b0, cj * a0);
                    q = p;
                }
                b0.Store(q);
            }
        }
        for (; col < c1; col++)
        {
            double* q = x + last + col;
            double b = *q;
            for (int j = count - 2; j >= 0; j--)
            {
                double* p = q - ld;
                double a = *p;
                *q = c[j] * b - s[j] * a;
                b = s[j] * b + c[j] * a;
                q = p;
            }
            *q = b;
        }
    }

    // a·b + c and a·b − c, fused where the machine has FMA.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Mad(Vector256<double> a, Vector256<double> b, Vector256<double> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Msub(Vector256<double> a, Vector256<double> b, Vector256<double> c) =>
        Fma.IsSupported ? Fma.MultiplySubtract(a, b, c) : a * b - c;
}
