using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>Which register-blocked micro-kernel SGEMM runs: the widest vectors the hardware accelerates.</summary>
internal enum GemmPath
{
    /// <summary>12×32 tile of Vector512 accumulators (AVX-512).</summary>
    Vector512,

    /// <summary>6×16 tile of Vector256 accumulators (AVX2).</summary>
    Vector256,

    /// <summary>4×8 tile of Vector128 accumulators (SSE/NEON, or the software fallback).</summary>
    Vector128,
}

/// <summary>Cache blocking: B blocks of kc×nc stay in L2, A blocks of mc×kc in L3, and one MR×kc sliver of A
/// in L1 while the micro-kernel sweeps the B block.</summary>
internal readonly record struct GemmBlocking(int Mc, int Kc, int Nc);

/// <summary>Single-precision GEMM with packed panels (Goto/BLIS scheme). Row-major, C = alpha·op(A)·op(B) + beta·C.
/// op(A) and op(B) are read in place whatever their transposition: packing reorders them into micro-panels, so no
/// transpose is ever materialised.</summary>
/// <remarks>
/// Loop nest, per thread (i over m, j over n, p over k):
///   pc (kc of k) → ic (mc rows; pack A[ic, pc] into MR-tall slivers) → jc (nc columns; B[pc, jc] packed into
///   NR-wide slivers once per call, shared by all threads) → ir (one A sliver, in L1) → jr (one B sliver, from
///   L2) → micro-kernel: MR×NR tile += A sliver · B sliver. Products too large to pack all of B, and column
///   splits, pack B per thread and block: jc → pc → ic with the same inner loops.
/// Packed A sliver: element (i, p) at p·MR + i. Packed B sliver: element (p, j) at p·NR + j. Edge slivers are
/// zero-padded, so the micro-kernel always runs full tiles and only the final store is clipped.
/// Where an A block meets at most 512 columns of B and A is row-major, the AVX-512 and AVX2 paths skip packing A and
/// read its full 12- or 6-row slivers in place. Where a thread's rows of C are at most 128 and B is row-major, they
/// skip packing B and read its full slivers in place (the micro-kernels step through B by a row stride).
/// Threads split C into disjoint row ranges (4-row units on the AVX-512 path, whole slivers otherwise) or column
/// ranges (whole slivers), each running the loop nest alone.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class PackedSgemm
{
    // SkipLocalsInit: the micro-kernels' edge tiles are stack buffers that every store path fills completely before
    // reading; the JIT turns a fixed stackalloc into a frame slot, and clearing it in the prologue (1.5 KB for the
    // 12×32 tile) cost every call of a micro-kernel, edge tile or not.

    /// <summary>The path this machine runs by default.</summary>
    public static GemmPath BestPath { get; } =
        Vector512.IsHardwareAccelerated ? GemmPath.Vector512
        : Vector256.IsHardwareAccelerated ? GemmPath.Vector256
        : GemmPath.Vector128;

    /// <summary>Blocking for this CPU (48 KiB L1d, 1 MiB L2 per core, 32 MiB L3): one A sliver (MR·kc·4 bytes,
    /// 24 KiB at kc = 512 on the AVX-512 path) stays in L1 while the micro-kernel sweeps a B block of kc×nc (512 KiB)
    /// held in L2; the A block (mc×kc) lives in L3. The AVX-512 path's kc of 512 rather than 384 passes over C fewer
    /// times (1024³ in 2 k blocks, not 3). Figures: bench/README.md, "GEMM parameters".</summary>
    public static GemmBlocking DefaultBlocking(GemmPath path) => path switch
    {
        GemmPath.Vector512 => new(1200, 512, 256),
        GemmPath.Vector256 => new(1200, 384, 256),
        _ => new(1200, 384, 256),
    };

    /// <summary>Widest sweep of packed B (in columns) for which the AVX-512 and AVX2 paths read row-major A in place
    /// instead of packing it: faster than 128 and 256 on both paths, 1024 no better (bench/README.md, "GEMM
    /// parameters").</summary>
    private const int MaxColsForInPlaceA = 512;

    private static bool ReadsBInPlace(bool transB, GemmPath path, int rows, int k, int ldb) =>
        !transB && path != GemmPath.Vector128 && rows <= MaxRowsForInPlaceB &&
        (path == GemmPath.Vector512 || (long)k * ldb <= MaxSpanForInPlaceB256);

    /// <summary>Most floats that row-major B may span (k rows, ldb apart) for the AVX2 path to read it in place: a
    /// 16-wide sliver read down a longer span touches one cache line (and often one page) per row, and packing wins
    /// (128×1024·1024×980, a DCGAN convolution's product, 1.23× packed; 256×3072·3072×768 1.12×); 128×384·384×128
    /// read in place is 1.08× (bench/README.md, "GEMM parameters").</summary>
    private const long MaxSpanForInPlaceB256 = 1L << 16;

    /// <summary>Most rows of C (per thread) for which the AVX-512 path reads row-major B in place instead of packing
    /// it: a packed B block pays for its copy only across enough 12-row slivers of A; at 256 rows the two measured
    /// the same (bench/README.md, "GEMM parameters").</summary>
    private const int MaxRowsForInPlaceB = 128;

    /// <summary>Fewest multiply-adds worth handing to one more thread (waking a worker costs microseconds).</summary>
    public const long MinWorkPerThread = 1L << 19;

    // Per-thread packing buffers, pinned and reused across calls.
    [ThreadStatic] private static float[]? packA;
    [ThreadStatic] private static float[]? packB;

    private static (int Mr, int Nr) Tile(GemmPath path) => path switch
    {
        GemmPath.Vector512 => (12, 32),
        GemmPath.Vector256 => (6, 16),
        _ => (4, 8),
    };

    /// <summary>C = alpha·op(A)·op(B) + beta·C on raw pointers; arguments are assumed valid (see
    /// <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int,
    /// float, Span{float}, int)"/> for the checked entry point).</summary>
    /// <param name="threads">Upper bound on threads; the work is split only when each gets enough.</param>
    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, GemmPath path, GemmBlocking blocking, int threads)
    {
        if (m <= 0 || n <= 0) return;
        if (k == 0 || alpha == 0f)
        {
            Scale(m, n, beta, c, ldc);
            return;
        }
        var (mr, nr) = Tile(path);
        var blk = Normalise(blocking, mr, nr);
        long work = (long)m * n * k;
        int maxThreads = (int)Math.Clamp(work / MinWorkPerThread, 1, Math.Max(1, threads));
        var job = new Job(transA, transB, k, alpha, a, lda, b, ldb, beta, c, ldc, path, blk, null) { PlannedRows = m };
        long sharedSize = (long)k * RoundUp(n, nr);
        if (maxThreads == 1)
        {
            // Wider than one B block: pack all of B once (chunk by chunk) rather than repacking A per block.
            if (n > blk.Nc && sharedSize <= MaxSharedB && !ReadsBInPlace(transB, path, m, k, ldb))
            {
                var own = sharedB ??= new SharedB();
                own.Prepare(k, n, job.KcEven, nr, blk.Nc, sharedSize, 1);
                job = job with { Shared = own };
            }
            job.Block(0, m, 0, n);
            return;
        }
        int tilesM = (m + mr - 1) / mr, tilesN = (n + nr - 1) / nr;
        // Rows are split when there are enough of them for an even split; the threads then share one packed copy
        // of B (see SharedB). A few row tiles (m = 64 is 6 tiles, the last short) split by columns instead, each
        // thread packing its own columns of B and all of the small A: with a row split of m = 64 both threads want
        // the same chunk of B at once and its packing serialises.
        bool byRows = tilesN < maxThreads || tilesM >= 4 * maxThreads;
        // Where A is read in place, a column split shares nothing but the read-only A: each thread packs its own
        // columns of B into its own cache, and nothing is packed twice. Taken at 97–128 columns per thread (n = 256
        // at 2 threads) with an A of at most 16 MiB, read by every thread; wider products measured no better split
        // by columns, narrower ones would read all of A for only a few slivers per thread. The AVX2 path gains only
        // while A fits in L2 (under 1 MiB). Figures: bench/README.md, "GEMM parameters".
        int colsPerThread = (n + maxThreads - 1) / maxThreads;
        long aSize = (long)m * k;
        bool aShared = path == GemmPath.Vector512 ? aSize <= 4L << 20 : path == GemmPath.Vector256 && aSize < 1L << 18;
        if (byRows && tilesN >= maxThreads && !transA && aShared && colsPerThread > 96 && colsPerThread <= 128)
            byRows = false;
        // Rows go out in units of 4 on the AVX-512 path, whose 4- and 8-row edge kernels run short slivers at full
        // speed: 512 rows split 256 + 256 (21 slivers + 4 rows each) rather than 252 + 260 in whole 12-row slivers.
        int rowUnit = path == GemmPath.Vector512 ? 4 : mr;
        SharedB? shared = null;
        // Whether B is read in place is decided once for all threads, from the rows each is meant to get: a split
        // in whole slivers gives them a few rows more or less (256 rows in 6-row slivers are 126 + 130), and a
        // thread over the limit would otherwise pack B alone while the other reads it in place.
        int rowsEach = byRows ? (m + maxThreads - 1) / maxThreads : m;
        if (byRows && sharedSize <= MaxSharedB && !ReadsBInPlace(transB, path, rowsEach, k, ldb))
        {
            shared = sharedB ??= new SharedB();
            shared.Prepare(k, n, job.KcEven, nr, blk.Nc, sharedSize, maxThreads);
        }
        var runner = runnerCache ??= new Runner();
        runner.Job = job with { Shared = shared, PlannedRows = rowsEach };
        runner.M = m;
        runner.N = n;
        runner.ByRows = byRows;
        runner.RowUnit = rowUnit;
        int tiles = byRows ? (m + rowUnit - 1) / rowUnit : tilesN;
        // Floor, not ceiling: Parallel.For makes count / grain chunks, and a ceiling grain with an odd tile count
        // (171 tiles of 12 rows at m = 2048) would leave one chunk, so the whole product ran on one thread.
        int grain = Math.Max(1, tiles / maxThreads);
        try
        {
            Parallel.For(tiles, grain, runner.Body);
        }
        finally
        {
            runner.Job = default;
        }
    }

    /// <summary>Largest op(B) (k × n rounded up to whole slivers, in floats) packed once for all threads: 64 MiB.
    /// Larger products fall back to per-thread packing.</summary>
    private const long MaxSharedB = 16L << 20;

    // The calling thread's parallel body and shared packing, reused across calls so a split product allocates
    // nothing in the steady state. The calling thread waits in Parallel.For, so its own call is their only user.
    [ThreadStatic] private static Runner? runnerCache;
    [ThreadStatic] private static SharedB? sharedB;

    private sealed class Runner
    {
        public Job Job;
        public int M, N;
        public bool ByRows;
        public int RowUnit;
        public readonly Action<int, int> Body;

        public Runner() => Body = Run;

        private void Run(int lo, int hi)
        {
            var (_, nr) = Tile(Job.Path);
            if (ByRows) Job.Block(lo * RowUnit, Math.Min(M, hi * RowUnit), 0, N);
            else Job.Block(0, M, lo * nr, Math.Min(N, hi * nr));
        }
    }

    /// <summary>All of op(B) packed once per call and shared by the threads of a row split, chunk by chunk on
    /// demand: the first thread to need a chunk (a few slivers of one k block) claims it with a compare-exchange
    /// and packs it; a thread needing a chunk that another is packing does its other chunks first and only then
    /// spins until it is published. A waiting thread only ever waits on a thread that is packing, so there is no
    /// barrier to deadlock on and a split that runs on one thread simply packs everything itself. Flags hold the
    /// call's generation, so nothing is cleared between calls.
    /// </summary>
    private sealed class SharedB
    {
        private float[] buffer = [];
        private long[] flags = [];
        private long generation;

        public float* Data { get; private set; }
        public long* Flags { get; private set; }
        public long Ready => generation * 2 + 1;
        public long Packing => generation * 2;
        public int Chunks { get; private set; }
        public int ChunkCols { get; private set; }
        public int NPad { get; private set; }
        public int NTrue { get; private set; }

        public void Prepare(int k, int n, int kcEven, int nr, int nc, long size, int threads)
        {
            int kBlocks = (k + kcEven - 1) / kcEven;
            // At least one chunk per thread in each k block, so that the threads can pack B side by side (n = 64
            // would otherwise be one chunk, packed by one thread while the other waits).
            if ((n + nc - 1) / nc < threads) nc = Math.Max(nr, RoundUp((n + threads - 1) / threads, nr));
            ChunkCols = nc;
            Chunks = (n + nc - 1) / nc;
            NPad = RoundUp(n, nr);
            NTrue = n;
            if (buffer.Length < size + LinePad)
            {
                buffer = GC.AllocateUninitializedArray<float>((int)size + LinePad, pinned: true);
                Data = AlignToLine(buffer);
            }
            if (flags.Length < kBlocks * Chunks)
            {
                flags = GC.AllocateArray<long>(kBlocks * Chunks, pinned: true);
                Flags = (long*)Unsafe.AsPointer(ref flags[0]);
            }
            generation++;
        }
    }

    private static GemmBlocking Normalise(GemmBlocking b, int mr, int nr)
    {
        if (b.Mc < 1 || b.Kc < 1 || b.Nc < 1)
            throw new ArgumentOutOfRangeException(nameof(b), b, "PackedSgemm: block sizes must be positive");
        return new(RoundUp(b.Mc, mr), b.Kc, RoundUp(b.Nc, nr));
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    private static void Scale(int m, int n, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    // A pinned buffer of at least `size` floats starting on a cache line: a packed sliver that straddled lines
    // would split every Vector512 load in two (runs varied by half with where the buffers happened to land).
    private static float* Buffer(ref float[]? buffer, int size)
    {
        if (buffer is null || buffer.Length < size + LinePad)
            buffer = GC.AllocateUninitializedArray<float>(size + LinePad, pinned: true);
        return AlignToLine(buffer);
    }

    private const int LinePad = 16;

    private static float* AlignToLine(float[] pinned) =>
        (float*)(((nuint)Unsafe.AsPointer(ref pinned[0]) + 63) & ~(nuint)63);

    // One GEMM problem; Block runs the loop nest for a rectangle of C on the calling thread.
    private readonly struct Job(bool transA, bool transB, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, GemmPath path, GemmBlocking blk, SharedB? shared)
    {
        public GemmPath Path => path;

        public SharedB? Shared { get; init; } = shared;

        // Rows of C per thread that decide whether B is read in place: all of m on one thread, the planned share of
        // a row split, all of m again for a column split.
        public int PlannedRows { get; init; }

        // Equal k blocks (784 = 4×196 rather than 3×256 + 16): a short last block would pay a full C update.
        public int KcEven => (k + (k + blk.Kc - 1) / blk.Kc - 1) / ((k + blk.Kc - 1) / blk.Kc);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Block(int i0, int i1, int j0, int j1)
        {
            if (Shared is not null)
            {
                BlockShared(i0, i1, Shared);
                return;
            }
            var (mr, nr) = Tile(path);
            int kcEven = KcEven;
            int kcMax = Math.Min(kcEven, k);
            int ncMax = Math.Min(blk.Nc, RoundUp(j1 - j0, nr));
            // Equal row blocks too, in whole slivers (2048 = 2×1028 rather than 1200 + 848): a short last block
            // would sweep the B blocks for few rows.
            int mBlocks = (i1 - i0 + blk.Mc - 1) / blk.Mc;
            int mcEven = RoundUp((i1 - i0 + mBlocks - 1) / mBlocks, mr);
            int mcMax = Math.Min(mcEven, RoundUp(i1 - i0, mr));
            float* pa = Buffer(ref packA, mcMax * kcMax);
            float* pb = Buffer(ref packB, ncMax * kcMax);
            {
                for (int jc = j0; jc < j1; jc += blk.Nc)
                {
                    int nc = Math.Min(blk.Nc, j1 - jc);
                    for (int pc = 0; pc < k; pc += kcEven)
                    {
                        int kc = Math.Min(kcEven, k - pc);
                        float betaNow = pc == 0 ? beta : 1f;
                        int bInPlace = InPlaceB(PlannedRows, nc, nr);
                        if (bInPlace < nc) PackB(transB, b, ldb, pc, kc, jc + bInPlace, nc - bInPlace, nr, pb);
                        for (int ic = i0; ic < i1; ic += mcEven)
                        {
                            int mc = Math.Min(mcEven, i1 - ic);
                            int inPlace = PrepareA(ic, mc, pc, kc, mr, pa, ncMax);
                            Macro(pa, pb, mc, nc, kc, c + (long)ic * ldc + jc, ldc, alpha, betaNow, path, mr, nr,
                                a + (long)ic * lda + pc, lda, inPlace, b + (long)pc * ldb + jc, ldb, bInPlace);
                        }
                    }
                }
            }
        }

        // Rows [i0, i1) of C against all of op(B), packed into the shared buffer by whichever thread gets to each
        // chunk first. Loop nest: pc → ic (pack this thread's A block) → chunks of B → Macro. A chunk that another
        // thread is packing is passed over and taken up after the others, so two threads arriving at the same
        // chunk pack two chunks at once instead of one packing while the other waits.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void BlockShared(int i0, int i1, SharedB sh)
        {
            var (mr, nr) = Tile(path);
            int kcEven = KcEven;
            int n = sh.NPad;
            int nTrue = sh.NTrue;
            int mBlocks = (i1 - i0 + blk.Mc - 1) / blk.Mc;
            int mcEven = RoundUp((i1 - i0 + mBlocks - 1) / mBlocks, mr);
            float* pa = Buffer(ref packA, Math.Min(mcEven, RoundUp(i1 - i0, mr)) * Math.Min(kcEven, k));
            int chunkCols = sh.ChunkCols;
            int chunks = sh.Chunks;
            long ready = sh.Ready, packing = sh.Packing;
            // Chunks passed over in the current sweep, in order (at most all of them).
            Span<int> deferred = chunks <= 256 ? stackalloc int[chunks] : new int[chunks];
            for (int pc = 0, kb = 0; pc < k; pc += kcEven, kb++)
            {
                int kc = Math.Min(kcEven, k - pc);
                float betaNow = pc == 0 ? beta : 1f;
                float* pb = sh.Data + (long)pc * n;
                long* flags = sh.Flags + (long)kb * chunks;
                for (int ic = i0; ic < i1; ic += mcEven)
                {
                    int mc = Math.Min(mcEven, i1 - ic);
                    int inPlace = PrepareA(ic, mc, pc, kc, mr, pa, n);
                    float* ad = a + (long)ic * lda + pc;
                    int passed = 0;
                    for (int q = 0; q < chunks; q++)
                    {
                        int jc = q * chunkCols;
                        int nc = Math.Min(chunkCols, nTrue - jc);
                        float* chunk = pb + (long)jc * kc;
                        if (!TryAcquire(flags + q, ready, packing, pc, kc, jc, nc, nr, chunk))
                        {
                            deferred[passed++] = q;
                            continue;
                        }
                        Macro(pa, chunk, mc, nc, kc, c + (long)ic * ldc + jc, ldc, alpha, betaNow, path, mr, nr,
                            ad, lda, inPlace);
                    }
                    for (int d = 0; d < passed; d++)
                    {
                        int jc = deferred[d] * chunkCols;
                        int nc = Math.Min(chunkCols, nTrue - jc);
                        float* chunk = pb + (long)jc * kc;
                        AwaitPublished(flags + deferred[d], ready);
                        Macro(pa, chunk, mc, nc, kc, c + (long)ic * ldc + jc, ldc, alpha, betaNow, path, mr, nr,
                            ad, lda, inPlace);
                    }
                }
            }
        }

        // Readies rows [ic, ic + mc) × [pc, pc + kc) of op(A) for a sweep over `cols` columns of packed B and
        // returns how many leading rows the micro-kernel reads in place; the rest are packed into pa. Packing costs
        // about as much per element as one 32-wide sliver's worth of multiply-adds, so where an A block meets only
        // a few B slivers (n <= 512) and A is stored row-major, its full 12-row slivers are read where they lie
        // and only the short last sliver is packed.
        private int PrepareA(int ic, int mc, int pc, int kc, int mr, float* pa, int cols)
        {
            int inPlace = !transA && path != GemmPath.Vector128 && cols <= MaxColsForInPlaceA ? mc / mr * mr : 0;
            if (inPlace < mc) PackA(transA, a, lda, ic + inPlace, mc - inPlace, pc, kc, mr, pa);
            return inPlace;
        }

        // How many leading columns of a B block of `cols` columns the micro-kernels read in place (whole slivers)
        // rather than from a packed copy, for a sweep over `rows` rows of A (see MaxRowsForInPlaceB).
        private int InPlaceB(int rows, int cols, int nr) =>
            ReadsBInPlace(transB, path, rows, k, ldb) ? cols / nr * nr : 0;

        // Makes one chunk of packed B ready if it can without waiting: true when it is published or this thread
        // claimed and packed it; false when another thread holds the claim and is packing it now.
        private bool TryAcquire(long* flag, long ready, long packing, int pc, int kc, int jc, int nc, int nr,
            float* dst)
        {
            long seen = Volatile.Read(ref *flag);
            if (seen == ready) return true;
            if (seen == packing) return false;
            long was = Interlocked.CompareExchange(ref *flag, packing, seen);
            if (was != seen) return was == ready;
            PackB(transB, b, ldb, pc, kc, jc, nc, nr, dst);
            Volatile.Write(ref *flag, ready);
            return true;
        }

        // Waits for a chunk that another thread claimed. The claim is only ever taken by a thread that then packs
        // the chunk and publishes it without waiting on anything, so this wait always ends; a split that runs on
        // one thread never gets here, as that thread claims every chunk itself.
        private static void AwaitPublished(long* flag, long ready)
        {
            if (Volatile.Read(ref *flag) == ready) return;
            var spin = new SpinWait();
            while (Volatile.Read(ref *flag) != ready) spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro(float* pa, float* pb, int mc, int nc, int kc, float* c, int ldc, float alpha,
        float beta, GemmPath path, int mr, int nr, float* ad, int lda, int inPlace, float* bd = null, int ldb = 0,
        int bInPlace = 0)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            // Rows below inPlace are read from A itself (row stride lda); later slivers from pa.
            float* asl = pa + (long)(ir - inPlace) * kc;
            float* arow = ad + (long)ir * lda;
            int mrNow = Math.Min(mr, mc - ir);
            for (int jr = 0; jr < nc; jr += nr)
            {
                // Columns below bInPlace are read from B itself (row stride ldb); later slivers from pb.
                bool bHere = jr < bInPlace;
                float* bs = bHere ? bd + jr : pb + (long)(jr - bInPlace) * kc;
                int bStep = bHere ? ldb : nr;
                float* ct = c + (long)ir * ldc + jr;
                int nrNow = Math.Min(nr, nc - jr);
                if (ir < inPlace)
                {
                    if (path == GemmPath.Vector512)
                        Kernel12x32InPlace(kc, arow, lda, bs, bStep, ct, ldc, nrNow, alpha, beta);
                    else Kernel6x16(kc, arow, lda, 1, bs, bStep, ct, ldc, mr, nrNow, alpha, beta);
                    continue;
                }
                switch (path)
                {
                    case GemmPath.Vector512 when mrNow <= 4:
                        Kernel4x32(kc, asl, bs, bStep, ct, ldc, mrNow, nrNow, alpha, beta);
                        break;
                    case GemmPath.Vector512 when mrNow <= 8:
                        Kernel8x32(kc, asl, bs, bStep, ct, ldc, mrNow, nrNow, alpha, beta);
                        break;
                    case GemmPath.Vector512:
                        Kernel12x32(kc, asl, bs, bStep, ct, ldc, mrNow, nrNow, alpha, beta);
                        break;
                    case GemmPath.Vector256:
                        Kernel6x16(kc, asl, 1, 6, bs, bStep, ct, ldc, mrNow, nrNow, alpha, beta);
                        break;
                    default: Kernel4x8(kc, asl, bs, ct, ldc, mrNow, nrNow, alpha, beta); break;
                }
            }
        }
    }

    // op(A)[ic.., pc..] (mc×kc) → slivers of MR rows; element (i, p) of sliver s at s·MR·kc + p·MR + i.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(bool trans, float* a, int lda, int ic, int mc, int pc, int kc, int mr, float* dst)
    {
        for (int s = 0; s < mc; s += mr)
        {
            int rows = Math.Min(mr, mc - s);
            float* d = dst + (long)s * kc;
            if (trans)
            {
                // A is stored k×m: the MR values of one p are adjacent, copied as 8- and 4-wide vectors (a
                // transposed A is the weight gradient's Xᵀ, packed once per column block: element by element, the
                // packing took a tenth of a GPT training step).
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(pc + p) * lda + ic + s;
                    float* o = d + p * mr;
                    int i = 0;
                    if (Vector256.IsHardwareAccelerated)
                    {
                        for (; i + 8 <= rows; i += 8) Vector256.Store(Vector256.Load(src + i), o + i);
                        for (; i + 4 <= rows; i += 4) Vector128.Store(Vector128.Load(src + i), o + i);
                    }
                    for (; i < rows; i++) o[i] = src[i];
                    for (; i < mr; i++) o[i] = 0f;
                }
            }
            else
            {
                // A is stored m×k: transpose rows of A into the sliver.
                Transpose(a + (long)(ic + s) * lda + pc, lda, rows, kc, d, mr);
                for (int i = rows; i < mr; i++)
                {
                    for (int p = 0; p < kc; p++) d[p * mr + i] = 0f;
                }
            }
        }
    }

    // op(B)[pc.., jc..] (kc×nc) → slivers of NR columns; element (p, j) of sliver s at s·kc + p·NR + j.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(bool trans, float* b, int ldb, int pc, int kc, int jc, int nc, int nr, float* dst)
    {
        if (!trans)
        {
            // B is stored k×n: walk it row by row (sequential reads, one page at a time) and deal each row out to
            // the slivers.
            for (int p = 0; p < kc; p++)
            {
                float* src = b + (long)(pc + p) * ldb + jc;
                for (int s = 0; s < nc; s += nr)
                {
                    int cols = Math.Min(nr, nc - s);
                    float* o = dst + (long)s * kc + p * nr;
                    if (cols == 32 && Vector512.IsHardwareAccelerated)
                    {
                        // The common full sliver row: two vector moves rather than a call into memmove.
                        Vector512.Store(Vector512.Load(src + s), o);
                        Vector512.Store(Vector512.Load(src + s + 16), o + 16);
                        continue;
                    }
                    if (cols == 16 && nr == 16 && Vector256.IsHardwareAccelerated)
                    {
                        // The AVX2 path's full sliver row (a memmove showed up in the 1024³ profile).
                        Vector256.Store(Vector256.Load(src + s), o);
                        Vector256.Store(Vector256.Load(src + s + 8), o + 8);
                        continue;
                    }
                    new ReadOnlySpan<float>(src + s, cols).CopyTo(new Span<float>(o, cols));
                    if (cols < nr) new Span<float>(o + cols, nr - cols).Clear();
                }
            }
            return;
        }
        for (int s = 0; s < nc; s += nr)
        {
            // B is stored n×k: transpose rows of B into the sliver.
            int cols = Math.Min(nr, nc - s);
            float* d = dst + (long)s * kc;
            Transpose(b + (long)(jc + s) * ldb + pc, ldb, cols, kc, d, nr);
            for (int j = cols; j < nr; j++)
            {
                for (int p = 0; p < kc; p++) d[p * nr + j] = 0f;
            }
        }
    }

    // dst[p·dstStride + r] = src[r·ld + p] for r < rows, p < kc: 4×4 blocks through SSE shuffles where available
    // (4 loads, 8 shuffles, 4 stores per 16 values), element by element for the rest.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* src, int ld, int rows, int kc, float* dst, int dstStride)
    {
        int r = 0;
        if (Sse.IsSupported)
        {
            for (; r + 4 <= rows; r += 4)
            {
                float* s0 = src + (long)r * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
                int p = 0;
                for (; p + 4 <= kc; p += 4)
                {
                    var x0 = Sse.LoadVector128(s0 + p);
                    var x1 = Sse.LoadVector128(s1 + p);
                    var x2 = Sse.LoadVector128(s2 + p);
                    var x3 = Sse.LoadVector128(s3 + p);
                    var lo01 = Sse.UnpackLow(x0, x1);   // x0[0] x1[0] x0[1] x1[1]
                    var lo23 = Sse.UnpackLow(x2, x3);
                    var hi01 = Sse.UnpackHigh(x0, x1);  // x0[2] x1[2] x0[3] x1[3]
                    var hi23 = Sse.UnpackHigh(x2, x3);
                    float* d = dst + (long)p * dstStride + r;
                    Sse.Store(d, Sse.MoveLowToHigh(lo01, lo23));
                    Sse.Store(d + dstStride, Sse.MoveHighToLow(lo23, lo01));
                    Sse.Store(d + 2 * dstStride, Sse.MoveLowToHigh(hi01, hi23));
                    Sse.Store(d + 3 * dstStride, Sse.MoveHighToLow(hi23, hi01));
                }
                for (; p < kc; p++)
                {
                    float* d = dst + (long)p * dstStride + r;
                    d[0] = s0[p];
                    d[1] = s1[p];
                    d[2] = s2[p];
                    d[3] = s3[p];
                }
            }
            if (r + 2 <= rows && Sse2.IsSupported && (dstStride & 1) == 0)
            {
                // Two rows left (the 6-row slivers of the AVX2 path): 2×4 blocks, each column pair stored as 64 bits.
                float* s0 = src + (long)r * ld, s1 = s0 + ld;
                int p = 0;
                for (; p + 4 <= kc; p += 4)
                {
                    var x0 = Sse.LoadVector128(s0 + p);
                    var x1 = Sse.LoadVector128(s1 + p);
                    var lo = Sse.UnpackLow(x0, x1).AsDouble();   // x0[0] x1[0] x0[1] x1[1]
                    var hi = Sse.UnpackHigh(x0, x1).AsDouble();  // x0[2] x1[2] x0[3] x1[3]
                    double* d = (double*)(dst + (long)p * dstStride + r);
                    int step = dstStride / 2;
                    Sse2.StoreScalar(d, lo);
                    Sse2.StoreHigh(d + step, lo);
                    Sse2.StoreScalar(d + 2 * step, hi);
                    Sse2.StoreHigh(d + 3 * step, hi);
                }
                for (; p < kc; p++)
                {
                    float* d = dst + (long)p * dstStride + r;
                    d[0] = s0[p];
                    d[1] = s1[p];
                }
                r += 2;
            }
        }
        for (; r < rows; r++)
        {
            float* s = src + (long)r * ld;
            for (int p = 0; p < kc; p++) dst[(long)p * dstStride + r] = s[p];
        }
    }

    // Asks for the C tile (mr rows of `lines` cache lines) early: the micro-kernel reads it only at the end, and for
    // large C those reads would otherwise miss all caches with nothing left to overlap them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, int ldc, int mr, int lines)
    {
        if (!Sse.IsSupported) return;
        for (int i = 0; i < mr; i++)
        {
            for (int l = 0; l < lines; l++) Sse.Prefetch0(c + (long)i * ldc + l * 16);
        }
    }

    // Clipped store of a computed tile (row stride tileStride) into the mr×nr corner of C: whole vectors along
    // each row where they fit (edge tiles are mostly short in rows only, e.g. the last 4 of m = 64), then scalars.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreEdge(float* tile, int tileStride, float* c, int ldc, int mr, int nr, float alpha,
        float beta)
    {
        for (int i = 0; i < mr; i++)
        {
            float* row = c + (long)i * ldc;
            float* t = tile + i * tileStride;
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var va = Vector512.Create(alpha);
                for (; j + 16 <= nr; j += 16)
                {
                    var v = Vector512.Load(t + j) * va;
                    if (beta != 0f) v += Vector512.Create(beta) * Vector512.Load(row + j);
                    Vector512.Store(v, row + j);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                var va = Vector256.Create(alpha);
                for (; j + 8 <= nr; j += 8)
                {
                    var v = Vector256.Load(t + j) * va;
                    if (beta != 0f) v += Vector256.Create(beta) * Vector256.Load(row + j);
                    Vector256.Store(v, row + j);
                }
            }
            for (; j < nr; j++) row[j] = beta == 0f ? alpha * t[j] : alpha * t[j] + beta * row[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector512<float> acc, float* p, Vector512<float> va, Vector512<float> vb) =>
        Vector512.Store(acc * va + vb * Vector512.Load(p), p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector256<float> acc, float* p, Vector256<float> va, Vector256<float> vb) =>
        Vector256.Store(acc * va + vb * Vector256.Load(p), p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector128<float> acc, float* p, Vector128<float> va, Vector128<float> vb) =>
        Vector128.Store(acc * va + vb * Vector128.Load(p), p);

    // 12x32 tile: 24 Vector512<float> accumulators; per k step 2 loads of B (32 floats, then bStep on: 32 when
    // packed, ldb when read in place), 12 broadcasts of A.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12x32(int kc, float* a, float* b, int bStep, float* c, int ldc, int mr, int nr,
        float alpha, float beta)
    {
        PrefetchTile(c, ldc, mr, 2);
        var c0a = Vector512<float>.Zero; var c0b = Vector512<float>.Zero;
        var c1a = Vector512<float>.Zero; var c1b = Vector512<float>.Zero;
        var c2a = Vector512<float>.Zero; var c2b = Vector512<float>.Zero;
        var c3a = Vector512<float>.Zero; var c3b = Vector512<float>.Zero;
        var c4a = Vector512<float>.Zero; var c4b = Vector512<float>.Zero;
        var c5a = Vector512<float>.Zero; var c5b = Vector512<float>.Zero;
        var c6a = Vector512<float>.Zero; var c6b = Vector512<float>.Zero;
        var c7a = Vector512<float>.Zero; var c7b = Vector512<float>.Zero;
        var c8a = Vector512<float>.Zero; var c8b = Vector512<float>.Zero;
        var c9a = Vector512<float>.Zero; var c9b = Vector512<float>.Zero;
        var c10a = Vector512<float>.Zero; var c10b = Vector512<float>.Zero;
        var c11a = Vector512<float>.Zero; var c11b = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0a = Vector512.FusedMultiplyAdd(a0, b0, c0a); c0b = Vector512.FusedMultiplyAdd(a0, b1, c0b);
            var a1 = Vector512.Create(a[1]);
            c1a = Vector512.FusedMultiplyAdd(a1, b0, c1a); c1b = Vector512.FusedMultiplyAdd(a1, b1, c1b);
            var a2 = Vector512.Create(a[2]);
            c2a = Vector512.FusedMultiplyAdd(a2, b0, c2a); c2b = Vector512.FusedMultiplyAdd(a2, b1, c2b);
            var a3 = Vector512.Create(a[3]);
            c3a = Vector512.FusedMultiplyAdd(a3, b0, c3a); c3b = Vector512.FusedMultiplyAdd(a3, b1, c3b);
            var a4 = Vector512.Create(a[4]);
            c4a = Vector512.FusedMultiplyAdd(a4, b0, c4a); c4b = Vector512.FusedMultiplyAdd(a4, b1, c4b);
            var a5 = Vector512.Create(a[5]);
            c5a = Vector512.FusedMultiplyAdd(a5, b0, c5a); c5b = Vector512.FusedMultiplyAdd(a5, b1, c5b);
            var a6 = Vector512.Create(a[6]);
            c6a = Vector512.FusedMultiplyAdd(a6, b0, c6a); c6b = Vector512.FusedMultiplyAdd(a6, b1, c6b);
            var a7 = Vector512.Create(a[7]);
            c7a = Vector512.FusedMultiplyAdd(a7, b0, c7a); c7b = Vector512.FusedMultiplyAdd(a7, b1, c7b);
            var a8 = Vector512.Create(a[8]);
            c8a = Vector512.FusedMultiplyAdd(a8, b0, c8a); c8b = Vector512.FusedMultiplyAdd(a8, b1, c8b);
            var a9 = Vector512.Create(a[9]);
            c9a = Vector512.FusedMultiplyAdd(a9, b0, c9a); c9b = Vector512.FusedMultiplyAdd(a9, b1, c9b);
            var a10 = Vector512.Create(a[10]);
            c10a = Vector512.FusedMultiplyAdd(a10, b0, c10a); c10b = Vector512.FusedMultiplyAdd(a10, b1, c10b);
            var a11 = Vector512.Create(a[11]);
            c11a = Vector512.FusedMultiplyAdd(a11, b0, c11a); c11b = Vector512.FusedMultiplyAdd(a11, b1, c11b);
            a += 12;
            b += bStep;
        }
        if (mr == 12 && nr == 32)
        {
            var va = Vector512.Create(alpha);
            if (beta == 0f)
            {
                Vector512.Store(c0a * va, c + 0 * ldc + 0); Vector512.Store(c0b * va, c + 0 * ldc + 16);
                Vector512.Store(c1a * va, c + 1 * ldc + 0); Vector512.Store(c1b * va, c + 1 * ldc + 16);
                Vector512.Store(c2a * va, c + 2 * ldc + 0); Vector512.Store(c2b * va, c + 2 * ldc + 16);
                Vector512.Store(c3a * va, c + 3 * ldc + 0); Vector512.Store(c3b * va, c + 3 * ldc + 16);
                Vector512.Store(c4a * va, c + 4 * ldc + 0); Vector512.Store(c4b * va, c + 4 * ldc + 16);
                Vector512.Store(c5a * va, c + 5 * ldc + 0); Vector512.Store(c5b * va, c + 5 * ldc + 16);
                Vector512.Store(c6a * va, c + 6 * ldc + 0); Vector512.Store(c6b * va, c + 6 * ldc + 16);
                Vector512.Store(c7a * va, c + 7 * ldc + 0); Vector512.Store(c7b * va, c + 7 * ldc + 16);
                Vector512.Store(c8a * va, c + 8 * ldc + 0); Vector512.Store(c8b * va, c + 8 * ldc + 16);
                Vector512.Store(c9a * va, c + 9 * ldc + 0); Vector512.Store(c9b * va, c + 9 * ldc + 16);
                Vector512.Store(c10a * va, c + 10 * ldc + 0); Vector512.Store(c10b * va, c + 10 * ldc + 16);
                Vector512.Store(c11a * va, c + 11 * ldc + 0); Vector512.Store(c11b * va, c + 11 * ldc + 16);
            }
            else
            {
                var vb = Vector512.Create(beta);
                Update(c0a, c + 0 * ldc + 0, va, vb);
                Update(c0b, c + 0 * ldc + 16, va, vb);
                Update(c1a, c + 1 * ldc + 0, va, vb);
                Update(c1b, c + 1 * ldc + 16, va, vb);
                Update(c2a, c + 2 * ldc + 0, va, vb);
                Update(c2b, c + 2 * ldc + 16, va, vb);
                Update(c3a, c + 3 * ldc + 0, va, vb);
                Update(c3b, c + 3 * ldc + 16, va, vb);
                Update(c4a, c + 4 * ldc + 0, va, vb);
                Update(c4b, c + 4 * ldc + 16, va, vb);
                Update(c5a, c + 5 * ldc + 0, va, vb);
                Update(c5b, c + 5 * ldc + 16, va, vb);
                Update(c6a, c + 6 * ldc + 0, va, vb);
                Update(c6b, c + 6 * ldc + 16, va, vb);
                Update(c7a, c + 7 * ldc + 0, va, vb);
                Update(c7b, c + 7 * ldc + 16, va, vb);
                Update(c8a, c + 8 * ldc + 0, va, vb);
                Update(c8b, c + 8 * ldc + 16, va, vb);
                Update(c9a, c + 9 * ldc + 0, va, vb);
                Update(c9b, c + 9 * ldc + 16, va, vb);
                Update(c10a, c + 10 * ldc + 0, va, vb);
                Update(c10b, c + 10 * ldc + 16, va, vb);
                Update(c11a, c + 11 * ldc + 0, va, vb);
                Update(c11b, c + 11 * ldc + 16, va, vb);
            }
            return;
        }
        float* tile = stackalloc float[384];
        Vector512.Store(c0a, tile + 0); Vector512.Store(c0b, tile + 16);
        Vector512.Store(c1a, tile + 32); Vector512.Store(c1b, tile + 48);
        Vector512.Store(c2a, tile + 64); Vector512.Store(c2b, tile + 80);
        Vector512.Store(c3a, tile + 96); Vector512.Store(c3b, tile + 112);
        Vector512.Store(c4a, tile + 128); Vector512.Store(c4b, tile + 144);
        Vector512.Store(c5a, tile + 160); Vector512.Store(c5b, tile + 176);
        Vector512.Store(c6a, tile + 192); Vector512.Store(c6b, tile + 208);
        Vector512.Store(c7a, tile + 224); Vector512.Store(c7b, tile + 240);
        Vector512.Store(c8a, tile + 256); Vector512.Store(c8b, tile + 272);
        Vector512.Store(c9a, tile + 288); Vector512.Store(c9b, tile + 304);
        Vector512.Store(c10a, tile + 320); Vector512.Store(c10b, tile + 336);
        Vector512.Store(c11a, tile + 352); Vector512.Store(c11b, tile + 368);
        StoreEdge(tile, 32, c, ldc, mr, nr, alpha, beta);
    }

    // The same 12x32 tile with A read in place: row i of the sliver at a + i·lda, its k values adjacent. Three row
    // pointers (rows 0, 4, 8) with offsets of 1, 2 and 3 rows address all twelve, so the loop keeps every A
    // address in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12x32InPlace(int kc, float* a, int lda, float* b, int bStep, float* c, int ldc,
        int nr, float alpha, float beta)
    {
        const int mr = 12;
        long l1 = lda, l2 = 2L * lda, l3 = 3L * lda;
        float* row4 = a + 4 * l1, row8 = a + 8 * l1;
        PrefetchTile(c, ldc, mr, 2);
        var c0a = Vector512<float>.Zero; var c0b = Vector512<float>.Zero;
        var c1a = Vector512<float>.Zero; var c1b = Vector512<float>.Zero;
        var c2a = Vector512<float>.Zero; var c2b = Vector512<float>.Zero;
        var c3a = Vector512<float>.Zero; var c3b = Vector512<float>.Zero;
        var c4a = Vector512<float>.Zero; var c4b = Vector512<float>.Zero;
        var c5a = Vector512<float>.Zero; var c5b = Vector512<float>.Zero;
        var c6a = Vector512<float>.Zero; var c6b = Vector512<float>.Zero;
        var c7a = Vector512<float>.Zero; var c7b = Vector512<float>.Zero;
        var c8a = Vector512<float>.Zero; var c8b = Vector512<float>.Zero;
        var c9a = Vector512<float>.Zero; var c9b = Vector512<float>.Zero;
        var c10a = Vector512<float>.Zero; var c10b = Vector512<float>.Zero;
        var c11a = Vector512<float>.Zero; var c11b = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0a = Vector512.FusedMultiplyAdd(a0, b0, c0a); c0b = Vector512.FusedMultiplyAdd(a0, b1, c0b);
            var a1 = Vector512.Create(a[l1]);
            c1a = Vector512.FusedMultiplyAdd(a1, b0, c1a); c1b = Vector512.FusedMultiplyAdd(a1, b1, c1b);
            var a2 = Vector512.Create(a[l2]);
            c2a = Vector512.FusedMultiplyAdd(a2, b0, c2a); c2b = Vector512.FusedMultiplyAdd(a2, b1, c2b);
            var a3 = Vector512.Create(a[l3]);
            c3a = Vector512.FusedMultiplyAdd(a3, b0, c3a); c3b = Vector512.FusedMultiplyAdd(a3, b1, c3b);
            var a4 = Vector512.Create(row4[0]);
            c4a = Vector512.FusedMultiplyAdd(a4, b0, c4a); c4b = Vector512.FusedMultiplyAdd(a4, b1, c4b);
            var a5 = Vector512.Create(row4[l1]);
            c5a = Vector512.FusedMultiplyAdd(a5, b0, c5a); c5b = Vector512.FusedMultiplyAdd(a5, b1, c5b);
            var a6 = Vector512.Create(row4[l2]);
            c6a = Vector512.FusedMultiplyAdd(a6, b0, c6a); c6b = Vector512.FusedMultiplyAdd(a6, b1, c6b);
            var a7 = Vector512.Create(row4[l3]);
            c7a = Vector512.FusedMultiplyAdd(a7, b0, c7a); c7b = Vector512.FusedMultiplyAdd(a7, b1, c7b);
            var a8 = Vector512.Create(row8[0]);
            c8a = Vector512.FusedMultiplyAdd(a8, b0, c8a); c8b = Vector512.FusedMultiplyAdd(a8, b1, c8b);
            var a9 = Vector512.Create(row8[l1]);
            c9a = Vector512.FusedMultiplyAdd(a9, b0, c9a); c9b = Vector512.FusedMultiplyAdd(a9, b1, c9b);
            var a10 = Vector512.Create(row8[l2]);
            c10a = Vector512.FusedMultiplyAdd(a10, b0, c10a); c10b = Vector512.FusedMultiplyAdd(a10, b1, c10b);
            var a11 = Vector512.Create(row8[l3]);
            c11a = Vector512.FusedMultiplyAdd(a11, b0, c11a); c11b = Vector512.FusedMultiplyAdd(a11, b1, c11b);
            a++;
            row4++;
            row8++;
            b += bStep;
        }
        if (mr == 12 && nr == 32)
        {
            var va = Vector512.Create(alpha);
            if (beta == 0f)
            {
                Vector512.Store(c0a * va, c + 0 * ldc + 0); Vector512.Store(c0b * va, c + 0 * ldc + 16);
                Vector512.Store(c1a * va, c + 1 * ldc + 0); Vector512.Store(c1b * va, c + 1 * ldc + 16);
                Vector512.Store(c2a * va, c + 2 * ldc + 0); Vector512.Store(c2b * va, c + 2 * ldc + 16);
                Vector512.Store(c3a * va, c + 3 * ldc + 0); Vector512.Store(c3b * va, c + 3 * ldc + 16);
                Vector512.Store(c4a * va, c + 4 * ldc + 0); Vector512.Store(c4b * va, c + 4 * ldc + 16);
                Vector512.Store(c5a * va, c + 5 * ldc + 0); Vector512.Store(c5b * va, c + 5 * ldc + 16);
                Vector512.Store(c6a * va, c + 6 * ldc + 0); Vector512.Store(c6b * va, c + 6 * ldc + 16);
                Vector512.Store(c7a * va, c + 7 * ldc + 0); Vector512.Store(c7b * va, c + 7 * ldc + 16);
                Vector512.Store(c8a * va, c + 8 * ldc + 0); Vector512.Store(c8b * va, c + 8 * ldc + 16);
                Vector512.Store(c9a * va, c + 9 * ldc + 0); Vector512.Store(c9b * va, c + 9 * ldc + 16);
                Vector512.Store(c10a * va, c + 10 * ldc + 0); Vector512.Store(c10b * va, c + 10 * ldc + 16);
                Vector512.Store(c11a * va, c + 11 * ldc + 0); Vector512.Store(c11b * va, c + 11 * ldc + 16);
            }
            else
            {
                var vb = Vector512.Create(beta);
                Update(c0a, c + 0 * ldc + 0, va, vb);
                Update(c0b, c + 0 * ldc + 16, va, vb);
                Update(c1a, c + 1 * ldc + 0, va, vb);
                Update(c1b, c + 1 * ldc + 16, va, vb);
                Update(c2a, c + 2 * ldc + 0, va, vb);
                Update(c2b, c + 2 * ldc + 16, va, vb);
                Update(c3a, c + 3 * ldc + 0, va, vb);
                Update(c3b, c + 3 * ldc + 16, va, vb);
                Update(c4a, c + 4 * ldc + 0, va, vb);
                Update(c4b, c + 4 * ldc + 16, va, vb);
                Update(c5a, c + 5 * ldc + 0, va, vb);
                Update(c5b, c + 5 * ldc + 16, va, vb);
                Update(c6a, c + 6 * ldc + 0, va, vb);
                Update(c6b, c + 6 * ldc + 16, va, vb);
                Update(c7a, c + 7 * ldc + 0, va, vb);
                Update(c7b, c + 7 * ldc + 16, va, vb);
                Update(c8a, c + 8 * ldc + 0, va, vb);
                Update(c8b, c + 8 * ldc + 16, va, vb);
                Update(c9a, c + 9 * ldc + 0, va, vb);
                Update(c9b, c + 9 * ldc + 16, va, vb);
                Update(c10a, c + 10 * ldc + 0, va, vb);
                Update(c10b, c + 10 * ldc + 16, va, vb);
                Update(c11a, c + 11 * ldc + 0, va, vb);
                Update(c11b, c + 11 * ldc + 16, va, vb);
            }
            return;
        }
        float* tile = stackalloc float[384];
        Vector512.Store(c0a, tile + 0); Vector512.Store(c0b, tile + 16);
        Vector512.Store(c1a, tile + 32); Vector512.Store(c1b, tile + 48);
        Vector512.Store(c2a, tile + 64); Vector512.Store(c2b, tile + 80);
        Vector512.Store(c3a, tile + 96); Vector512.Store(c3b, tile + 112);
        Vector512.Store(c4a, tile + 128); Vector512.Store(c4b, tile + 144);
        Vector512.Store(c5a, tile + 160); Vector512.Store(c5b, tile + 176);
        Vector512.Store(c6a, tile + 192); Vector512.Store(c6b, tile + 208);
        Vector512.Store(c7a, tile + 224); Vector512.Store(c7b, tile + 240);
        Vector512.Store(c8a, tile + 256); Vector512.Store(c8b, tile + 272);
        Vector512.Store(c9a, tile + 288); Vector512.Store(c9b, tile + 304);
        Vector512.Store(c10a, tile + 320); Vector512.Store(c10b, tile + 336);
        Vector512.Store(c11a, tile + 352); Vector512.Store(c11b, tile + 368);
        StoreEdge(tile, 32, c, ldc, mr, nr, alpha, beta);
    }

    // 4x32 tile over a 12-row packed sliver (its last, short one).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x32(int kc, float* a, float* b, int bStep, float* c, int ldc, int mr, int nr,
        float alpha, float beta)
    {
        PrefetchTile(c, ldc, mr, 2);
        var c0a = Vector512<float>.Zero; var c0b = Vector512<float>.Zero;
        var c1a = Vector512<float>.Zero; var c1b = Vector512<float>.Zero;
        var c2a = Vector512<float>.Zero; var c2b = Vector512<float>.Zero;
        var c3a = Vector512<float>.Zero; var c3b = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0a = Vector512.FusedMultiplyAdd(a0, b0, c0a); c0b = Vector512.FusedMultiplyAdd(a0, b1, c0b);
            var a1 = Vector512.Create(a[1]);
            c1a = Vector512.FusedMultiplyAdd(a1, b0, c1a); c1b = Vector512.FusedMultiplyAdd(a1, b1, c1b);
            var a2 = Vector512.Create(a[2]);
            c2a = Vector512.FusedMultiplyAdd(a2, b0, c2a); c2b = Vector512.FusedMultiplyAdd(a2, b1, c2b);
            var a3 = Vector512.Create(a[3]);
            c3a = Vector512.FusedMultiplyAdd(a3, b0, c3a); c3b = Vector512.FusedMultiplyAdd(a3, b1, c3b);
            a += 12;
            b += bStep;
        }
        if (mr == 4 && nr == 32)
        {
            var va = Vector512.Create(alpha);
            if (beta == 0f)
            {
                Vector512.Store(c0a * va, c + 0 * ldc + 0); Vector512.Store(c0b * va, c + 0 * ldc + 16);
                Vector512.Store(c1a * va, c + 1 * ldc + 0); Vector512.Store(c1b * va, c + 1 * ldc + 16);
                Vector512.Store(c2a * va, c + 2 * ldc + 0); Vector512.Store(c2b * va, c + 2 * ldc + 16);
                Vector512.Store(c3a * va, c + 3 * ldc + 0); Vector512.Store(c3b * va, c + 3 * ldc + 16);
            }
            else
            {
                var vb = Vector512.Create(beta);
                Update(c0a, c + 0 * ldc + 0, va, vb);
                Update(c0b, c + 0 * ldc + 16, va, vb);
                Update(c1a, c + 1 * ldc + 0, va, vb);
                Update(c1b, c + 1 * ldc + 16, va, vb);
                Update(c2a, c + 2 * ldc + 0, va, vb);
                Update(c2b, c + 2 * ldc + 16, va, vb);
                Update(c3a, c + 3 * ldc + 0, va, vb);
                Update(c3b, c + 3 * ldc + 16, va, vb);
            }
            return;
        }

        float* tile = stackalloc float[128];
        Vector512.Store(c0a, tile + 0); Vector512.Store(c0b, tile + 16);
        Vector512.Store(c1a, tile + 32); Vector512.Store(c1b, tile + 48);
        Vector512.Store(c2a, tile + 64); Vector512.Store(c2b, tile + 80);
        Vector512.Store(c3a, tile + 96); Vector512.Store(c3b, tile + 112);
        StoreEdge(tile, 32, c, ldc, mr, nr, alpha, beta);
    }

    // 8x32 tile over a 12-row packed sliver (its last, short one).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int kc, float* a, float* b, int bStep, float* c, int ldc, int mr, int nr,
        float alpha, float beta)
    {
        PrefetchTile(c, ldc, mr, 2);
        var c0a = Vector512<float>.Zero; var c0b = Vector512<float>.Zero;
        var c1a = Vector512<float>.Zero; var c1b = Vector512<float>.Zero;
        var c2a = Vector512<float>.Zero; var c2b = Vector512<float>.Zero;
        var c3a = Vector512<float>.Zero; var c3b = Vector512<float>.Zero;
        var c4a = Vector512<float>.Zero; var c4b = Vector512<float>.Zero;
        var c5a = Vector512<float>.Zero; var c5b = Vector512<float>.Zero;
        var c6a = Vector512<float>.Zero; var c6b = Vector512<float>.Zero;
        var c7a = Vector512<float>.Zero; var c7b = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0a = Vector512.FusedMultiplyAdd(a0, b0, c0a); c0b = Vector512.FusedMultiplyAdd(a0, b1, c0b);
            var a1 = Vector512.Create(a[1]);
            c1a = Vector512.FusedMultiplyAdd(a1, b0, c1a); c1b = Vector512.FusedMultiplyAdd(a1, b1, c1b);
            var a2 = Vector512.Create(a[2]);
            c2a = Vector512.FusedMultiplyAdd(a2, b0, c2a); c2b = Vector512.FusedMultiplyAdd(a2, b1, c2b);
            var a3 = Vector512.Create(a[3]);
            c3a = Vector512.FusedMultiplyAdd(a3, b0, c3a); c3b = Vector512.FusedMultiplyAdd(a3, b1, c3b);
            var a4 = Vector512.Create(a[4]);
            c4a = Vector512.FusedMultiplyAdd(a4, b0, c4a); c4b = Vector512.FusedMultiplyAdd(a4, b1, c4b);
            var a5 = Vector512.Create(a[5]);
            c5a = Vector512.FusedMultiplyAdd(a5, b0, c5a); c5b = Vector512.FusedMultiplyAdd(a5, b1, c5b);
            var a6 = Vector512.Create(a[6]);
            c6a = Vector512.FusedMultiplyAdd(a6, b0, c6a); c6b = Vector512.FusedMultiplyAdd(a6, b1, c6b);
            var a7 = Vector512.Create(a[7]);
            c7a = Vector512.FusedMultiplyAdd(a7, b0, c7a); c7b = Vector512.FusedMultiplyAdd(a7, b1, c7b);
            a += 12;
            b += bStep;
        }
        if (mr == 8 && nr == 32)
        {
            var va = Vector512.Create(alpha);
            if (beta == 0f)
            {
                Vector512.Store(c0a * va, c + 0 * ldc + 0); Vector512.Store(c0b * va, c + 0 * ldc + 16);
                Vector512.Store(c1a * va, c + 1 * ldc + 0); Vector512.Store(c1b * va, c + 1 * ldc + 16);
                Vector512.Store(c2a * va, c + 2 * ldc + 0); Vector512.Store(c2b * va, c + 2 * ldc + 16);
                Vector512.Store(c3a * va, c + 3 * ldc + 0); Vector512.Store(c3b * va, c + 3 * ldc + 16);
                Vector512.Store(c4a * va, c + 4 * ldc + 0); Vector512.Store(c4b * va, c + 4 * ldc + 16);
                Vector512.Store(c5a * va, c + 5 * ldc + 0); Vector512.Store(c5b * va, c + 5 * ldc + 16);
                Vector512.Store(c6a * va, c + 6 * ldc + 0); Vector512.Store(c6b * va, c + 6 * ldc + 16);
                Vector512.Store(c7a * va, c + 7 * ldc + 0); Vector512.Store(c7b * va, c + 7 * ldc + 16);
            }
            else
            {
                var vb = Vector512.Create(beta);
                Update(c0a, c + 0 * ldc + 0, va, vb);
                Update(c0b, c + 0 * ldc + 16, va, vb);
                Update(c1a, c + 1 * ldc + 0, va, vb);
                Update(c1b, c + 1 * ldc + 16, va, vb);
                Update(c2a, c + 2 * ldc + 0, va, vb);
                Update(c2b, c + 2 * ldc + 16, va, vb);
                Update(c3a, c + 3 * ldc + 0, va, vb);
                Update(c3b, c + 3 * ldc + 16, va, vb);
                Update(c4a, c + 4 * ldc + 0, va, vb);
                Update(c4b, c + 4 * ldc + 16, va, vb);
                Update(c5a, c + 5 * ldc + 0, va, vb);
                Update(c5b, c + 5 * ldc + 16, va, vb);
                Update(c6a, c + 6 * ldc + 0, va, vb);
                Update(c6b, c + 6 * ldc + 16, va, vb);
                Update(c7a, c + 7 * ldc + 0, va, vb);
                Update(c7b, c + 7 * ldc + 16, va, vb);
            }
            return;
        }

        float* tile = stackalloc float[256];
        Vector512.Store(c0a, tile + 0); Vector512.Store(c0b, tile + 16);
        Vector512.Store(c1a, tile + 32); Vector512.Store(c1b, tile + 48);
        Vector512.Store(c2a, tile + 64); Vector512.Store(c2b, tile + 80);
        Vector512.Store(c3a, tile + 96); Vector512.Store(c3b, tile + 112);
        Vector512.Store(c4a, tile + 128); Vector512.Store(c4b, tile + 144);
        Vector512.Store(c5a, tile + 160); Vector512.Store(c5b, tile + 176);
        Vector512.Store(c6a, tile + 192); Vector512.Store(c6b, tile + 208);
        Vector512.Store(c7a, tile + 224); Vector512.Store(c7b, tile + 240);
        StoreEdge(tile, 32, c, ldc, mr, nr, alpha, beta);
    }


    // 6x16 tile: 12 Vector256<float> accumulators; per k step 2 loads of B, 6 broadcasts of A. Row i of the A
    // sliver starts at a + i·aRow and steps by aStep per k: a packed sliver is aRow = 1, aStep = 6; A read in place
    // is aRow = lda, aStep = 1. Two row pointers (rows 0 and 3) with offsets of 1 and 2 rows address all six.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, int aRow, int aStep, float* b, int bStep, float* c, int ldc,
        int mr, int nr, float alpha, float beta)
    {
        long l1 = aRow, l2 = 2L * aRow;
        float* row3 = a + 3 * l1;
        var c0a = Vector256<float>.Zero; var c0b = Vector256<float>.Zero;
        var c1a = Vector256<float>.Zero; var c1b = Vector256<float>.Zero;
        var c2a = Vector256<float>.Zero; var c2b = Vector256<float>.Zero;
        var c3a = Vector256<float>.Zero; var c3b = Vector256<float>.Zero;
        var c4a = Vector256<float>.Zero; var c4b = Vector256<float>.Zero;
        var c5a = Vector256<float>.Zero; var c5b = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0); var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c0a = Vector256.MultiplyAddEstimate(a0, b0, c0a); c0b = Vector256.MultiplyAddEstimate(a0, b1, c0b);
            var a1 = Vector256.Create(a[l1]);
            c1a = Vector256.MultiplyAddEstimate(a1, b0, c1a); c1b = Vector256.MultiplyAddEstimate(a1, b1, c1b);
            var a2 = Vector256.Create(a[l2]);
            c2a = Vector256.MultiplyAddEstimate(a2, b0, c2a); c2b = Vector256.MultiplyAddEstimate(a2, b1, c2b);
            var a3 = Vector256.Create(row3[0]);
            c3a = Vector256.MultiplyAddEstimate(a3, b0, c3a); c3b = Vector256.MultiplyAddEstimate(a3, b1, c3b);
            var a4 = Vector256.Create(row3[l1]);
            c4a = Vector256.MultiplyAddEstimate(a4, b0, c4a); c4b = Vector256.MultiplyAddEstimate(a4, b1, c4b);
            var a5 = Vector256.Create(row3[l2]);
            c5a = Vector256.MultiplyAddEstimate(a5, b0, c5a); c5b = Vector256.MultiplyAddEstimate(a5, b1, c5b);
            a += aStep;
            row3 += aStep;
            b += bStep;
        }
        if (mr == 6 && nr == 16)
        {
            var va = Vector256.Create(alpha);
            if (beta == 0f)
            {
                Vector256.Store(c0a * va, c + 0 * ldc + 0); Vector256.Store(c0b * va, c + 0 * ldc + 8);
                Vector256.Store(c1a * va, c + 1 * ldc + 0); Vector256.Store(c1b * va, c + 1 * ldc + 8);
                Vector256.Store(c2a * va, c + 2 * ldc + 0); Vector256.Store(c2b * va, c + 2 * ldc + 8);
                Vector256.Store(c3a * va, c + 3 * ldc + 0); Vector256.Store(c3b * va, c + 3 * ldc + 8);
                Vector256.Store(c4a * va, c + 4 * ldc + 0); Vector256.Store(c4b * va, c + 4 * ldc + 8);
                Vector256.Store(c5a * va, c + 5 * ldc + 0); Vector256.Store(c5b * va, c + 5 * ldc + 8);
            }
            else
            {
                var vb = Vector256.Create(beta);
                Update(c0a, c + 0 * ldc + 0, va, vb);
                Update(c0b, c + 0 * ldc + 8, va, vb);
                Update(c1a, c + 1 * ldc + 0, va, vb);
                Update(c1b, c + 1 * ldc + 8, va, vb);
                Update(c2a, c + 2 * ldc + 0, va, vb);
                Update(c2b, c + 2 * ldc + 8, va, vb);
                Update(c3a, c + 3 * ldc + 0, va, vb);
                Update(c3b, c + 3 * ldc + 8, va, vb);
                Update(c4a, c + 4 * ldc + 0, va, vb);
                Update(c4b, c + 4 * ldc + 8, va, vb);
                Update(c5a, c + 5 * ldc + 0, va, vb);
                Update(c5b, c + 5 * ldc + 8, va, vb);
            }
            return;
        }
        float* tile = stackalloc float[96];
        Vector256.Store(c0a, tile + 0); Vector256.Store(c0b, tile + 8);
        Vector256.Store(c1a, tile + 16); Vector256.Store(c1b, tile + 24);
        Vector256.Store(c2a, tile + 32); Vector256.Store(c2b, tile + 40);
        Vector256.Store(c3a, tile + 48); Vector256.Store(c3b, tile + 56);
        Vector256.Store(c4a, tile + 64); Vector256.Store(c4b, tile + 72);
        Vector256.Store(c5a, tile + 80); Vector256.Store(c5b, tile + 88);
        StoreEdge(tile, 16, c, ldc, mr, nr, alpha, beta);
    }

    // 4x8 tile: 8 Vector128<float> accumulators; per k step 2 loads of B, 4 broadcasts of A.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x8(int kc, float* a, float* b, float* c, int ldc, int mr, int nr,
        float alpha, float beta)
    {
        var c0a = Vector128<float>.Zero; var c0b = Vector128<float>.Zero;
        var c1a = Vector128<float>.Zero; var c1b = Vector128<float>.Zero;
        var c2a = Vector128<float>.Zero; var c2b = Vector128<float>.Zero;
        var c3a = Vector128<float>.Zero; var c3b = Vector128<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b + 0); var b1 = Vector128.Load(b + 4);
            var a0 = Vector128.Create(a[0]);
            c0a = Vector128.MultiplyAddEstimate(a0, b0, c0a); c0b = Vector128.MultiplyAddEstimate(a0, b1, c0b);
            var a1 = Vector128.Create(a[1]);
            c1a = Vector128.MultiplyAddEstimate(a1, b0, c1a); c1b = Vector128.MultiplyAddEstimate(a1, b1, c1b);
            var a2 = Vector128.Create(a[2]);
            c2a = Vector128.MultiplyAddEstimate(a2, b0, c2a); c2b = Vector128.MultiplyAddEstimate(a2, b1, c2b);
            var a3 = Vector128.Create(a[3]);
            c3a = Vector128.MultiplyAddEstimate(a3, b0, c3a); c3b = Vector128.MultiplyAddEstimate(a3, b1, c3b);
            a += 4;
            b += 8;
        }
        if (mr == 4 && nr == 8)
        {
            var va = Vector128.Create(alpha);
            if (beta == 0f)
            {
                Vector128.Store(c0a * va, c + 0 * ldc + 0); Vector128.Store(c0b * va, c + 0 * ldc + 4);
                Vector128.Store(c1a * va, c + 1 * ldc + 0); Vector128.Store(c1b * va, c + 1 * ldc + 4);
                Vector128.Store(c2a * va, c + 2 * ldc + 0); Vector128.Store(c2b * va, c + 2 * ldc + 4);
                Vector128.Store(c3a * va, c + 3 * ldc + 0); Vector128.Store(c3b * va, c + 3 * ldc + 4);
            }
            else
            {
                var vb = Vector128.Create(beta);
                Update(c0a, c + 0 * ldc + 0, va, vb);
                Update(c0b, c + 0 * ldc + 4, va, vb);
                Update(c1a, c + 1 * ldc + 0, va, vb);
                Update(c1b, c + 1 * ldc + 4, va, vb);
                Update(c2a, c + 2 * ldc + 0, va, vb);
                Update(c2b, c + 2 * ldc + 4, va, vb);
                Update(c3a, c + 3 * ldc + 0, va, vb);
                Update(c3b, c + 3 * ldc + 4, va, vb);
            }
            return;
        }
        float* tile = stackalloc float[32];
        Vector128.Store(c0a, tile + 0); Vector128.Store(c0b, tile + 4);
        Vector128.Store(c1a, tile + 8); Vector128.Store(c1b, tile + 12);
        Vector128.Store(c2a, tile + 16); Vector128.Store(c2b, tile + 20);
        Vector128.Store(c3a, tile + 24); Vector128.Store(c3b, tile + 28);
        StoreEdge(tile, 8, c, ldc, mr, nr, alpha, beta);
    }
}
