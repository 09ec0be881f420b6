using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dendrite.Kernels;

/// <summary>Matrix products for the tensor ops. Float32 goes through <see cref="Sgemm"/>; other types use a
/// row-oriented generic loop.</summary>
internal static class Gemm
{
    /// <summary>C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = X or Xᵀ. op(A) is m×k, op(B) is k×n.
    /// A is stored m×k (k×m when transposed) with row stride lda; likewise B; C is m×n with row stride ldc.
    /// beta = 0 overwrites C without reading it. Runs the packed SIMD kernel on <see cref="Threads.Count"/>
    /// threads.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, PackedSgemm.BestPath, Threads.Count);

    /// <summary>The same product on a chosen micro-kernel path and thread budget (tests run every path).</summary>
    public static unsafe void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        GemmPath path, int threads, GemmBlocking? blocking = null)
    {
        Check(transA, transB, m, n, k, a.Length, lda, 0, b.Length, ldb, 0, c.Length, ldc, 0);
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Sgemm: threads < 1");
        fixed (float* pa = a, pb = b, pc = c)
        {
            PackedSgemm.Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, path,
                blocking ?? PackedSgemm.DefaultBlocking(path), threads);
        }
    }

    /// <summary>The float64 product with the contract of <see cref="Sgemm(bool, bool, int, int, int, float,
    /// ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>: the packed AVX2 kernel of
    /// <see cref="PackedDgemm"/> where the machine has it, the generic loop elsewhere.</summary>
    public static unsafe void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
    {
        Check(transA, transB, m, n, k, a.Length, lda, 0, b.Length, ldb, 0, c.Length, ldc, 0, op: "Dgemm");
        if (!PackedDgemm.IsSupported)
        {
            Generic(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        fixed (double* pa = a, pb = b, pc = c)
        {
            PackedDgemm.Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /// <summary><see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int,
    /// float, Span{float}, int)"/> or <see cref="Dgemm"/> by the element type, for code generic over float32 and
    /// float64 (the factorizations).</summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a,
        int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc) where T : unmanaged
    {
        if (m == 0 || n == 0) return;
        if (typeof(T) == typeof(float))
        {
            Sgemm(transA, transB, m, n, k, Unsafe.As<T, float>(ref alpha), MemoryMarshal.Cast<T, float>(a), lda,
                MemoryMarshal.Cast<T, float>(b), ldb, Unsafe.As<T, float>(ref beta),
                MemoryMarshal.Cast<T, float>(c), ldc);
        }
        else if (typeof(T) == typeof(double))
        {
            Dgemm(transA, transB, m, n, k, Unsafe.As<T, double>(ref alpha), MemoryMarshal.Cast<T, double>(a), lda,
                MemoryMarshal.Cast<T, double>(b), ldb, Unsafe.As<T, double>(ref beta),
                MemoryMarshal.Cast<T, double>(c), ldc);
        }
        else
        {
            throw new NotSupportedException($"Gemm.Multiply: no GEMM for {typeof(T).Name}");
        }
    }

    /// <summary>A batch of products sharing shapes and strides: problem i reads A at offsetsA[i], B at offsetsB[i]
    /// and writes C at offsetsC[i]. Many small problems run one per thread; few large ones run one after another,
    /// each split across the threads.</summary>
    public static unsafe void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<int> offsetsA, ReadOnlySpan<float> b, int ldb,
        ReadOnlySpan<int> offsetsB, float beta, Span<float> c, int ldc, ReadOnlySpan<int> offsetsC)
    {
        int count = offsetsC.Length;
        if (offsetsA.Length != count || offsetsB.Length != count)
            throw new ArgumentException($"SgemmBatched: offset counts differ (A {offsetsA.Length}, " +
                $"B {offsetsB.Length}, C {count})");
        for (int i = 0; i < count; i++)
        {
            Check(transA, transB, m, n, k, a.Length, lda, offsetsA[i], b.Length, ldb, offsetsB[i], c.Length, ldc,
                offsetsC[i], i);
        }
        var path = PackedSgemm.BestPath;
        var blocking = PackedSgemm.DefaultBlocking(path);
        int threads = Threads.Count;
        fixed (float* pa = a, pb = b, pc = c)
        {
            bool perProblem = count >= threads && threads > 1 && (count % threads == 0 || count >= 4 * threads);
            if (!perProblem)
            {
                for (int i = 0; i < count; i++)
                {
                    PackedSgemm.Run(transA, transB, m, n, k, alpha, pa + offsetsA[i], lda, pb + offsetsB[i], ldb,
                        beta, pc + offsetsC[i], ldc, path, blocking, threads);
                }
                return;
            }
            long work = Math.Max(1L, (long)m * n * k);
            int grain = (int)Math.Clamp(PackedSgemm.MinWorkPerThread / work, 1, count);
            var runner = batchRunner ??= new BatchRunner();
            runner.Set(transA, transB, m, n, k, alpha, pa, lda, offsetsA, pb, ldb, offsetsB, beta, pc, ldc, offsetsC,
                path, blocking);
            try
            {
                Parallel.For(count, grain, runner.Body);
            }
            finally
            {
                runner.Clear();
            }
        }
    }

    // The calling thread's batch of problems for the worker threads, reused across calls so that a batched product
    // allocates nothing in the steady state (the caller waits in Parallel.For, so one per thread suffices).
    [ThreadStatic] private static BatchRunner? batchRunner;

    private sealed unsafe class BatchRunner
    {
        private int[] oa = [], ob = [], oc = [];
        private bool transA, transB;
        private int m, n, k, lda, ldb, ldc;
        private float alpha, beta;
        private float* a, b, c;
        private GemmPath path;
        private GemmBlocking blocking;

        public BatchRunner() => Body = Run;

        public Action<int, int> Body { get; }

        public void Set(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
            ReadOnlySpan<int> offsetsA, float* b, int ldb, ReadOnlySpan<int> offsetsB, float beta, float* c, int ldc,
            ReadOnlySpan<int> offsetsC, GemmPath path, GemmBlocking blocking)
        {
            if (oa.Length < offsetsC.Length)
            {
                oa = new int[offsetsC.Length];
                ob = new int[offsetsC.Length];
                oc = new int[offsetsC.Length];
            }
            offsetsA.CopyTo(oa);
            offsetsB.CopyTo(ob);
            offsetsC.CopyTo(oc);
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            this.a = a;
            this.b = b;
            this.c = c;
            this.lda = lda;
            this.ldb = ldb;
            this.ldc = ldc;
            this.path = path;
            this.blocking = blocking;
        }

        public void Clear()
        {
            a = null;
            b = null;
            c = null;
        }

        private void Run(int lo, int hi)
        {
            for (int i = lo; i < hi; i++)
            {
                PackedSgemm.Run(transA, transB, m, n, k, alpha, a + oa[i], lda, b + ob[i], ldb, beta, c + oc[i], ldc,
                    path, blocking, 1);
            }
        }
    }

    // The batch item's suffix is formatted only when a check fails: a batched call checks every item on every step.
    private static void Check(bool transA, bool transB, int m, int n, int k, int lenA, int lda, int offA,
        int lenB, int ldb, int offB, int lenC, int ldc, int offC, int index = -1, string op = "Sgemm")
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"{op}: negative size m={m}, n={n}, k={k}{At(index)}");
        Operand(op, "A", transA ? k : m, transA ? m : k, lenA, lda, offA, index);
        Operand(op, "B", transB ? n : k, transB ? k : n, lenB, ldb, offB, index);
        Operand(op, "C", m, n, lenC, ldc, offC, index);
    }

    private static string At(int index) => index < 0 ? "" : $" (batch item {index})";

    private static void Operand(string op, string name, int rows, int cols, int length, int ld, int offset, int index)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"{op}: {name} is {rows}x{cols} but its row stride is {ld}{At(index)}");
        if (rows == 0 || cols == 0) return;
        long need = (long)offset + (long)(rows - 1) * ld + cols;
        if (offset < 0 || need > length)
            throw new ArgumentException($"{op}: {name} is {rows}x{cols} with row stride {ld} at offset {offset}, " +
                $"needing {need} elements, but its buffer holds {length}{At(index)}");
    }

    /// <summary>The same contract for any numeric type: for each row of C, accumulate rows of op(B) scaled by
    /// the row of op(A) (vectorised axpy along n).</summary>
    public static void Generic<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0) return;
        T[]? bt = null;
        if (transB)
        {
            // Materialise op(B) = Bᵀ as k×n rows so the inner loop runs along contiguous memory.
            bt = BufferPool<T>.Rent(k * n);
            for (int p = 0; p < k; p++)
            {
                for (int j = 0; j < n; j++) bt[p * n + j] = b[j * ldb + p];
            }
            b = bt.AsSpan(0, k * n);
            ldb = n;
        }
        var rowArray = BufferPool<T>.Rent(n);
        var row = rowArray.AsSpan(0, n);
        for (int i = 0; i < m; i++)
        {
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                T av = transA ? a[p * lda + i] : a[i * lda + p];
                TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), av, row, row);
            }
            var ci = c.Slice(i * ldc, n);
            if (beta == T.Zero)
            {
                TensorPrimitives.Multiply(row, alpha, ci);
            }
            else
            {
                TensorPrimitives.Multiply(ci, beta, ci);
                TensorPrimitives.MultiplyAdd(row, alpha, ci, ci);
            }
        }
        BufferPool<T>.Return(rowArray);
        if (bt is not null) BufferPool<T>.Return(bt);
    }
}
