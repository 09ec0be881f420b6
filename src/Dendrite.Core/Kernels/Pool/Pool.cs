using System.Numerics;
using System.Runtime.Intrinsics;

namespace Dendrite.Kernels;

/// <summary>
/// The geometry of 2-D pooling over P = N·C independent planes of H×W, producing OH×OW each. Window (i, j) starts
/// at row i·sh - padTop and column j·sw - padLeft; padBottom/padRight bound the windows that average pooling
/// counts when padding is included (as PyTorch: a window is clipped to the padded extent first, then to the
/// image). A 1-D pool is the case H = KH = 1.
/// </summary>
internal readonly record struct PoolShape(
    int Planes, int H, int W, int KH, int KW, int OH, int OW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW)
{
    /// <summary>Output length as PyTorch computes it: ⌊ or ⌈(in + pads - d·(k-1) - 1) / s⌉ + 1, and in ceil mode
    /// the last window is dropped when it would start inside the far padding.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceil)
    {
        int span = input + padBegin + padEnd - dilation * (kernel - 1) - 1;
        int o = (int)Math.Floor((span + (ceil ? stride - 1 : 0)) / (double)stride) + 1;
        if (ceil && (o - 1) * stride >= input + padBegin) o--;
        return o;
    }
}

/// <summary>Pooling kernels, generic over the element type. Planes are independent, so every kernel splits them
/// over the threads (<see cref="Parallel.For"/>); window bounds are worked out once per output row and column, not
/// per plane. Max pooling over 2×2 windows at stride 2 (LeNet, VGG, U-Net) has its own vectorised float32 path.
/// </summary>
internal static unsafe class Pool
{
    // About this many reads and writes per chunk of planes before a second thread is worth waking.
    private const int ChunkWork = 1 << 14;

    /// <summary>y = max over each window; idx = flat position h·W + w of the maximum within its plane (PyTorch's
    /// indices), or no indices when <paramref name="idx"/> is empty. NaN wins (the first NaN in the window), as in
    /// PyTorch; otherwise the first maximum in row-major window order. A window wholly in the padding yields -∞
    /// and index 0.</summary>
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<long> idx, in PoolShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hw = s.H * s.W, ohw = s.OH * s.OW;
        if (x.Length < (long)s.Planes * hw || y.Length < (long)s.Planes * ohw ||
            (!idx.IsEmpty && idx.Length < (long)s.Planes * ohw))
            throw new ArgumentException($"Pool.MaxForward: spans x {x.Length}, y {y.Length}, idx {idx.Length} are " +
                $"too short for {s.Planes} planes of {s.H}x{s.W} → {s.OH}x{s.OW}");
        var shape = s;
        bool indices = !idx.IsEmpty;
        var window = new Windows(s);
        fixed (T* px = x)
        fixed (T* py = y)
        fixed (long* pi = idx)
        {
            T* xp = px, yp = py;
            long* ip = pi;
            int grain = Math.Max(1, ChunkWork / Math.Max(1, hw + ohw * s.KH * s.KW));
            Parallel.For(s.Planes, grain, (lo, hi) =>
            {
                if (typeof(T) == typeof(float) && window.TwoByTwo && Vector256.IsHardwareAccelerated)
                    MaxTwoByTwo((float*)xp, (float*)yp, indices ? ip : null, shape, lo, hi);
                else MaxPlanes(xp, yp, indices ? ip : null, shape, window, lo, hi);
            });
        }
    }

    // The window rows (p) and columns (q) that fall inside the image, for every output row i and column j.
    private sealed class Windows
    {
        public readonly int[] PLo, PHi, QLo, QHi;
        public readonly bool TwoByTwo;

        public Windows(in PoolShape s)
        {
            (PLo, PHi) = Range(s.OH, s.StrideH, s.PadTop, s.DilationH, s.KH, s.H);
            (QLo, QHi) = Range(s.OW, s.StrideW, s.PadLeft, s.DilationW, s.KW, s.W);
            TwoByTwo = s is { KH: 2, KW: 2, StrideH: 2, StrideW: 2, PadTop: 0, PadLeft: 0, DilationH: 1, DilationW: 1 }
                && 2 * s.OH <= s.H && 2 * s.OW <= s.W;
        }

        private static (int[] Lo, int[] Hi) Range(int outputs, int stride, int pad, int dilation, int k, int size)
        {
            var lo = new int[outputs];
            var hi = new int[outputs];
            for (int i = 0; i < outputs; i++)
            {
                int start = i * stride - pad, a = 0, b = k;
                while (a < k && start + a * dilation < 0) a++;
                while (b > a && start + (b - 1) * dilation >= size) b--;
                (lo[i], hi[i]) = (a, b);
            }
            return (lo, hi);
        }
    }

    private static void MaxPlanes<T>(T* x, T* y, long* idx, PoolShape s, Windows window, int lo, int hi)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = s.W, hw = s.H * s.W, ow = s.OW, ohw = s.OH * s.OW;
        int sh = s.StrideH, sw = s.StrideW, dh = s.DilationH, dw = s.DilationW, pt = s.PadTop, pl = s.PadLeft;
        for (int plane = lo; plane < hi; plane++)
        {
            T* xp = x + (long)plane * hw;
            T* yp = y + (long)plane * ohw;
            long* ip = idx is null ? null : idx + (long)plane * ohw;
            for (int i = 0; i < s.OH; i++)
            {
                int h0 = i * sh - pt, p0 = window.PLo[i], p1 = window.PHi[i];
                for (int j = 0; j < ow; j++)
                {
                    int w0 = j * sw - pl, q0 = window.QLo[j], q1 = window.QHi[j];
                    T best = T.NegativeInfinity;
                    int at = -1;
                    for (int p = p0; p < p1; p++)
                    {
                        int row = (h0 + p * dh) * w;
                        for (int q = q0; q < q1; q++)
                        {
                            int v = row + w0 + q * dw;
                            T val = xp[v];
                            if (at < 0 || val > best || (T.IsNaN(val) && !T.IsNaN(best)))
                            {
                                best = val;
                                at = v;
                            }
                        }
                    }
                    yp[i * ow + j] = best;
                    if (ip is not null) ip[i * ow + j] = Math.Max(at, 0);
                }
            }
        }
    }

    // 2×2 windows at stride 2, all inside the image: eight outputs a step from two 16-float runs of two rows, split
    // into even and odd columns; candidates in window order (top-left, top-right, bottom-left, bottom-right), each
    // taken when greater than the best so far, or NaN over a best that is not.
    private static void MaxTwoByTwo(float* x, float* y, long* idx, PoolShape s, int lo, int hi)
    {
        int w = s.W, hw = s.H * s.W, ow = s.OW, ohw = s.OH * s.OW;
        var even = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var lanes = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        for (int plane = lo; plane < hi; plane++)
        {
            float* xp = x + (long)plane * hw;
            float* yp = y + (long)plane * ohw;
            long* ip = idx is null ? null : idx + (long)plane * ohw;
            for (int i = 0; i < s.OH; i++)
            {
                float* r0 = xp + 2 * i * w, r1 = r0 + w;
                int j = 0;
                for (; j + 8 <= ow; j += 8)
                {
                    var (a, b) = Split(Vector256.Load(r0 + 2 * j), Vector256.Load(r0 + 2 * j + 8), even);
                    var (c, d) = Split(Vector256.Load(r1 + 2 * j), Vector256.Load(r1 + 2 * j + 8), even);
                    var at = Vector256.Create(2 * i * w + 2 * j) + lanes;
                    var best = a;
                    var pos = at;
                    Take(b, at + Vector256<int>.One, ref best, ref pos);
                    Take(c, at + Vector256.Create(w), ref best, ref pos);
                    Take(d, at + Vector256.Create(w + 1), ref best, ref pos);
                    best.Store(yp + i * ow + j);
                    if (ip is not null)
                    {
                        var (l, u) = Vector256.Widen(pos);
                        l.Store(ip + i * ow + j);
                        u.Store(ip + i * ow + j + 4);
                    }
                }
                for (; j < ow; j++)
                {
                    int v = 2 * i * w + 2 * j, at = v;
                    float best = xp[v];
                    TakeScalar(xp, v + 1, ref best, ref at);
                    TakeScalar(xp, v + w, ref best, ref at);
                    TakeScalar(xp, v + w + 1, ref best, ref at);
                    yp[i * ow + j] = best;
                    if (ip is not null) ip[i * ow + j] = at;
                }
            }
        }
    }

    private static void TakeScalar(float* x, int at, ref float best, ref int pos)
    {
        float val = x[at];
        if (val > best || (float.IsNaN(val) && !float.IsNaN(best)))
        {
            best = val;
            pos = at;
        }
    }

    // Even and odd columns of the 16 floats lo·hi.
    private static (Vector256<float> Even, Vector256<float> Odd) Split(Vector256<float> lo, Vector256<float> hi,
        Vector256<int> order)
    {
        var l = Vector256.Shuffle(lo, order);
        var h = Vector256.Shuffle(hi, order);
        return (Vector256.Create(l.GetLower(), h.GetLower()), Vector256.Create(l.GetUpper(), h.GetUpper()));
    }

    private static void Take(Vector256<float> val, Vector256<int> at, ref Vector256<float> best,
        ref Vector256<int> pos)
    {
        var nanOverNumber = ~Vector256.Equals(val, val) & Vector256.Equals(best, best);
        var take = Vector256.GreaterThan(val, best) | nanOverNumber;
        best = Vector256.ConditionalSelect(take, val, best);
        pos = Vector256.ConditionalSelect(take.AsInt32(), at, pos);
    }

    /// <summary>dx[idx] += dy: each output's gradient goes to the position of its maximum. Overwrites dx.</summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<long> idx, Span<T> dx, in PoolShape s)
        where T : unmanaged, INumber<T>
    {
        int hw = s.H * s.W, ohw = s.OH * s.OW;
        if (dy.Length < (long)s.Planes * ohw || idx.Length < (long)s.Planes * ohw || dx.Length < (long)s.Planes * hw)
            throw new ArgumentException($"Pool.MaxBackward: spans dy {dy.Length}, idx {idx.Length}, dx {dx.Length} " +
                $"are too short for {s.Planes} planes of {s.H}x{s.W} → {s.OH}x{s.OW}");
        fixed (T* pg = dy)
        fixed (long* pi = idx)
        fixed (T* pd = dx)
        {
            T* gp = pg, dp = pd;
            long* ip = pi;
            Parallel.For(s.Planes, Math.Max(1, ChunkWork / Math.Max(1, hw + ohw)), (lo, hi) =>
            {
                new Span<T>(dp + (long)lo * hw, (hi - lo) * hw).Clear();
                for (int plane = lo; plane < hi; plane++)
                {
                    T* g = gp + (long)plane * ohw, d = dp + (long)plane * hw;
                    long* at = ip + (long)plane * ohw;
                    for (int o = 0; o < ohw; o++)
                    {
                        long k = at[o];
                        if ((ulong)k >= (ulong)hw)
                            throw new ArgumentException($"Pool.MaxBackward: index {k} outside a plane of {hw}");
                        d[k] += g[o];
                    }
                }
            });
        }
    }

    /// <summary>y = mean over each window; the divisor counts the padding inside the padded extent when
    /// <paramref name="countIncludePad"/>, otherwise only the image positions.</summary>
    public static void AvgForward<T>(ReadOnlySpan<T> x, Span<T> y, in PoolShape s, bool countIncludePad)
        where T : unmanaged, INumber<T>
    {
        int w = s.W;
        var cells = AvgCells(s, countIncludePad);
        Planes(x, y, s, (xp, yp) =>
        {
            foreach (var c in cells)
            {
                T acc = T.Zero;
                for (int h = c.H0; h < c.H1; h++)
                {
                    for (int v = c.W0; v < c.W1; v++) acc += xp[h * w + v];
                }
                yp[c.Out] = c.Div == 0 ? T.Zero : acc / T.CreateChecked(c.Div);
            }
        });
    }

    /// <summary>dx = Σ over windows containing x of dy / divisor. Overwrites dx.</summary>
    public static void AvgBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, in PoolShape s, bool countIncludePad)
        where T : unmanaged, INumber<T>
    {
        int w = s.W;
        var cells = AvgCells(s, countIncludePad);
        GradPlanes(dy, dx, s, (gp, dp) =>
        {
            foreach (var c in cells)
            {
                if (c.Div == 0) continue;
                T d = gp[c.Out] / T.CreateChecked(c.Div);
                for (int h = c.H0; h < c.H1; h++)
                {
                    for (int v = c.W0; v < c.W1; v++) dp[h * w + v] += d;
                }
            }
        });
    }

    // One output cell of a pooling window: where it reads (rows H0..H1, columns W0..W1 of the plane), where it writes,
    // and its divisor.
    private readonly record struct Cell(int Out, int H0, int H1, int W0, int W1, int Div);

    // The window of every output cell clipped to the image, and its divisor (PyTorch's avg_pool2d rule).
    private static Cell[] AvgCells(in PoolShape s, bool includePad)
    {
        var cells = new Cell[s.OH * s.OW];
        for (int i = 0; i < s.OH; i++)
        {
            for (int j = 0; j < s.OW; j++)
            {
                int h0 = i * s.StrideH - s.PadTop, w0 = j * s.StrideW - s.PadLeft;
                int h1 = Math.Min(h0 + s.KH, s.H + s.PadBottom), w1 = Math.Min(w0 + s.KW, s.W + s.PadRight);
                int padded = (h1 - h0) * (w1 - w0);
                h0 = Math.Max(h0, 0);
                w0 = Math.Max(w0, 0);
                h1 = Math.Min(h1, s.H);
                w1 = Math.Min(w1, s.W);
                int inside = Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
                cells[i * s.OW + j] = new Cell(i * s.OW + j, h0, h1, w0, w1, includePad ? padded : inside);
            }
        }
        return cells;
    }

    /// <summary>Adaptive average pooling: output cell i covers rows ⌊i·H/OH⌋ .. ⌈(i+1)·H/OH⌉ (and likewise for
    /// columns), so any input size maps onto OH×OW. Only Planes, H, W, OH, OW of the shape are used.</summary>
    public static void AdaptiveAvgForward<T>(ReadOnlySpan<T> x, Span<T> y, in PoolShape s)
        where T : unmanaged, INumber<T>
    {
        int w = s.W;
        var cells = AdaptiveCells(s);
        Planes(x, y, s, (xp, yp) =>
        {
            foreach (var c in cells)
            {
                T acc = T.Zero;
                for (int h = c.H0; h < c.H1; h++)
                {
                    for (int v = c.W0; v < c.W1; v++) acc += xp[h * w + v];
                }
                yp[c.Out] = acc / T.CreateChecked(c.Div);
            }
        });
    }

    /// <summary>The gradient of <see cref="AdaptiveAvgForward"/>. Overwrites dx.</summary>
    public static void AdaptiveAvgBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, in PoolShape s)
        where T : unmanaged, INumber<T>
    {
        int w = s.W;
        var cells = AdaptiveCells(s);
        GradPlanes(dy, dx, s, (gp, dp) =>
        {
            foreach (var c in cells)
            {
                T d = gp[c.Out] / T.CreateChecked(c.Div);
                for (int h = c.H0; h < c.H1; h++)
                {
                    for (int v = c.W0; v < c.W1; v++) dp[h * w + v] += d;
                }
            }
        });
    }

    private static Cell[] AdaptiveCells(in PoolShape s)
    {
        var cells = new Cell[s.OH * s.OW];
        for (int i = 0; i < s.OH; i++)
        {
            var (h0, h1) = AdaptiveRange(i, s.H, s.OH);
            for (int j = 0; j < s.OW; j++)
            {
                var (w0, w1) = AdaptiveRange(j, s.W, s.OW);
                cells[i * s.OW + j] = new Cell(i * s.OW + j, h0, h1, w0, w1, (h1 - h0) * (w1 - w0));
            }
        }
        return cells;
    }

    private delegate void PlaneBody<T>(ReadOnlySpan<T> input, Span<T> output);

    // Runs body on every plane (input H×W, output OH×OW), the planes split over the threads.
    private static void Planes<T>(ReadOnlySpan<T> x, Span<T> y, in PoolShape s, PlaneBody<T> body)
        where T : unmanaged =>
        EachPlane(x, s.H * s.W, y, s.OH * s.OW, false, "spans", s, body);

    // Runs body on every plane of the output gradient (OH×OW) and the input gradient (H×W, cleared first).
    private static void GradPlanes<T>(ReadOnlySpan<T> dy, Span<T> dx, in PoolShape s, PlaneBody<T> body)
        where T : unmanaged =>
        EachPlane(dy, s.OH * s.OW, dx, s.H * s.W, true, "gradient spans", s, body);

    // body(source plane, destination plane) for every plane, chunks of planes split over the threads; each chunk's
    // destination planes are cleared first when asked.
    private static void EachPlane<T>(ReadOnlySpan<T> src, int srcPlane, Span<T> dst, int dstPlane, bool clear,
        string what, in PoolShape s, PlaneBody<T> body) where T : unmanaged
    {
        int planes = s.Planes;
        if (src.Length < (long)planes * srcPlane || dst.Length < (long)planes * dstPlane)
            throw new ArgumentException($"Pool: {what} of {src.Length} and {dst.Length} are too short for {planes} " +
                $"planes of {s.H}x{s.W} → {s.OH}x{s.OW}");
        fixed (T* ps = src)
        fixed (T* pd = dst)
        {
            T* sp = ps, dp = pd;
            Parallel.For(planes, Grain(s), (lo, hi) =>
            {
                var d = new Span<T>(dp + (long)lo * dstPlane, (hi - lo) * dstPlane);
                if (clear) d.Clear();
                for (int p = lo; p < hi; p++)
                {
                    body(new ReadOnlySpan<T>(sp + (long)p * srcPlane, srcPlane),
                        d.Slice((p - lo) * dstPlane, dstPlane));
                }
            });
        }
    }

    private static int Grain(in PoolShape s) =>
        Math.Max(1, ChunkWork / Math.Max(1, (s.H * s.W) + (s.OH * s.OW * s.KH * s.KW)));

    private static (int Start, int End) AdaptiveRange(int i, int input, int output) =>
        ((int)((long)i * input / output), (int)(((long)(i + 1) * input + output - 1) / output));
}
