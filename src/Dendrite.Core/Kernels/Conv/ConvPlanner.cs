using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>The convolution kernels, one per way of computing a pass (see docs/convolution.md).</summary>
internal enum ConvKernel
{
    /// <summary>Unfold each image (im2col), then one GEMM per (image, group); folded back for dX. Runs
    /// anything.</summary>
    Im2col,

    /// <summary>Several small maps unfolded side by side into one batched GEMM (ConvSmall.cs).</summary>
    Small,

    /// <summary>One channel in, one out: phase-split planes (ConvDepthwise.cs).</summary>
    Depthwise,

    /// <summary>At most 16 output channels, Vector256 blocks of 8 (Conv.cs).</summary>
    Direct,

    /// <summary>At most 8 output channels, positions in 16 lanes (ConvWide.cs; two halves with AVX2).</summary>
    Wide,

    /// <summary>At most 16 output channels, the channels in the lanes (Conv.cs, ConvLanes256.cs).</summary>
    Lanes,

    /// <summary>Unit strides, padded rows read in place, 8 channels × 48 positions (ConvRows.cs, AVX-512); for dW
    /// tiles of weight elements × 16 to 64 channels on AVX2 or AVX-512.</summary>
    Rows,

    /// <summary>The forward of Rows on Vector256: 6 channels × 16 positions (ConvRows256.cs).</summary>
    Rows256,

    /// <summary>Unit strides and column dilation: the padded channels-last image read in place by the packed GEMM
    /// (ConvTall.cs).</summary>
    Implicit,

    /// <summary>dW by cache-sized chunks of the unfolding, K-tall products (ConvTall.cs).</summary>
    Tall,

    /// <summary>One output position whose kernel covers the whole unpadded image: a fully connected layer per
    /// group, one product over the batch for each pass (ConvDense.cs).</summary>
    Dense,
}

/// <summary>The three passes of a convolution.</summary>
internal enum ConvPass
{
    Forward,
    InputGradient,
    WeightGradient,
}

/// <summary>The widest vector instructions the kernels may use. Avx512 needs Vector512 accelerated and AVX-512F;
/// Avx2 needs AVX2 and FMA.</summary>
internal enum ConvIsa
{
    Scalar,
    Vector128,
    Avx2,
    Avx512,
}

/// <summary>A kernel for one pass. <see cref="Transposed"/> (input gradient only): dX computed as the forward
/// convolution of dY with the flipped weights (<see cref="ConvPlanner.TransposedShape"/>) on
/// <see cref="Kernel"/>. <see cref="Phased"/> (input gradient only, strided): dX computed phase by phase, each
/// phase of the input (the positions with one remainder modulo the strides) a stride-1 forward convolution of dY
/// (<see cref="ConvPlanner.PhaseShape"/>) on <see cref="Kernel"/>.</summary>
internal readonly record struct ConvPlan(ConvKernel Kernel, bool Transposed = false, bool Phased = false)
{
    public override string ToString() =>
        Transposed ? $"transposed {Kernel}" : Phased ? $"phased {Kernel}" : Kernel.ToString();
}

/// <summary>
/// Which kernel runs a convolution pass for a shape and an instruction set: the whole decision, rule by rule, first
/// match wins. The figures behind each rule are in bench/README.md ("Convolution planner"); a rule's comment says
/// what it measured against. <see cref="Force"/> overrides the choice for a pass (tests and the bench).
/// </summary>
internal static class ConvPlanner
{
    /// <summary>The instruction set of this machine, as the kernels see it.</summary>
    public static readonly ConvIsa Isa = Detect();

    private static ConvIsa Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return ConvIsa.Avx512;
        if (Avx2.IsSupported && Fma.IsSupported) return ConvIsa.Avx2;
        return Vector128.IsHardwareAccelerated ? ConvIsa.Vector128 : ConvIsa.Scalar;
    }

    /// <summary>y = conv(x, w) + b.</summary>
    public static ConvPlan Forward(in ConvShape s, ConvIsa isa)
    {
        // One channel per group in and out: phase-split planes beat every GEMM-based path when strided; at unit
        // stride only with AVX-512 (with AVX2 the direct kernels were as fast or faster).
        if (IsDepthwise(s) && (s.StrideW > 1 || isa == ConvIsa.Avx512)) return new(ConvKernel.Depthwise);
        // One position over the whole image: a fully connected layer (`conv-ops dcgan_d_conv3`, see bench/README.md).
        if (IsDense(s)) return new(ConvKernel.Dense);
        // Few output channels: a GEMM tile would be mostly empty; direct loops fill the vector lanes instead.
        if (FewOutputs(s)) return new(DirectFamily(s, isa));
        // Small maps with many channels: one batched product beats a thin product per image.
        if (SmallMap(s)) return new(ConvKernel.Small);
        // Unit strides: read padded rows in place instead of unfolding.
        if (UnitStrides(s) && !IsPointwise(s))
        {
            if (isa == ConvIsa.Avx512) return new(ConvKernel.Rows);
            if (isa == ConvIsa.Avx2) return new(ConvKernel.Rows256);
            if (s.DilationW == 1) return new(ConvKernel.Implicit);
        }
        // Everything else (strided, 1×1, wide dilations without AVX2): unfold and multiply.
        return new(ConvKernel.Im2col);
    }

    /// <summary>dX = ∂(Σ y·dy)/∂x.</summary>
    public static ConvPlan InputGradient(in ConvShape s, ConvIsa isa)
    {
        // Strided depthwise: the phase kernel, as for its forward.
        if (IsDepthwise(s) && s.StrideW > 1) return new(ConvKernel.Depthwise);
        // One position over the whole image: one product for the batch, no fold.
        if (IsDense(s)) return new(ConvKernel.Dense);
        // Unit strides: dX is a forward convolution, so it takes the forward's kernel when that one reads the image
        // in place (few outputs, rows, implicit); the unfolding it saves is the largest buffer of the pass. With
        // AVX2 and column dilation the transposed form was never measured, and stays on the paths below.
        // Not when the input is much larger than the output (a kernel about as large as the image, as in the first
        // transposed convolution of a DCGAN generator): the transposed form then multiplies mostly padding, H·W/L
        // times the work (49× for a 7×7 kernel over a 7×7 map; 0.2 against 5 GFLOP/s on `conv-ops dcgan_g_convt1`).
        if (TransposedShape(s) is { } t && !IsPointwise(t) && s.H * s.W <= 2 * s.L &&
            (FewOutputs(t) || isa == ConvIsa.Avx512 || t.DilationW == 1))
            return Forward(t, isa) with { Transposed = true };
        // Strides that divide the kernel can run phase by phase (ConvPlan.Phased, one stride-1 forward per phase of
        // dX, no col2im), but no rule picks it: on the DCGAN layers it was not measurably faster than the paths
        // below (bench/README.md, "Convolution planner"); `conv-ops --kernel "phased NAME"` times it.
        // Small maps: the batched product, as for the forward.
        if (SmallMap(s)) return new(ConvKernel.Small);
        return new(ConvKernel.Im2col);
    }

    /// <summary>dW = ∂(Σ y·dy)/∂w.</summary>
    public static ConvPlan WeightGradient(in ConvShape s, ConvIsa isa)
    {
        // The first four rules as for the forward.
        if (IsDepthwise(s) && s.StrideW > 1) return new(ConvKernel.Depthwise);
        if (IsDense(s)) return new(ConvKernel.Dense);
        if (FewOutputs(s)) return new(DirectFamily(s, isa));
        if (SmallMap(s)) return new(ConvKernel.Small);
        // Unit strides and whole 16-channel tiles: products of padded rows with transposed dY, no unfolding (the
        // whole padded batch must fit one pooled array).
        if (UnitStrides(s) && !IsPointwise(s) && isa >= ConvIsa.Avx2 && s.Og % 16 == 0 && RowsWeightFits(s))
            return new(ConvKernel.Rows);
        // Otherwise chunks of the unfolding that stay in cache, instead of a whole image's.
        if (!IsPointwise(s)) return new(ConvKernel.Tall);
        // A plain 1×1: the image is the unfolding.
        return new(ConvKernel.Im2col);
    }

    // At most 16 output channels per group and unit column stride (not a plain 1×1 product): the direct kernels.
    // With AVX2 the lanes kernels carry up to 24 positions in flight, against 8 for the Vector256 blocks.
    private static ConvKernel DirectFamily(in ConvShape s, ConvIsa isa)
    {
        if (isa < ConvIsa.Avx2) return ConvKernel.Direct;
        return s.Og > 8 ? ConvKernel.Lanes : ConvKernel.Wide;
    }

    private static bool FewOutputs(in ConvShape s) => s.Og <= 16 && s.StrideW == 1 && !IsPointwise(s);

    private static bool SmallMap(in ConvShape s) => s.L > 0 && s.L <= 100 && s.Og >= 32;

    private static bool IsDepthwise(in ConvShape s) => s.Cg == 1 && s.Og == 1;

    /// <summary>One output position and a kernel that covers the whole image without padding or dilation: every
    /// input value is read once, by the one output, so the convolution is a fully connected layer.</summary>
    public static bool IsDense(in ConvShape s) =>
        s.OH == 1 && s.OW == 1 && s.KH == s.H && s.KW == s.W && s.PadTop == 0 && s.PadLeft == 0 &&
        s.DilationH == 1 && s.DilationW == 1;

    private static bool UnitStrides(in ConvShape s) => s.StrideH == 1 && s.StrideW == 1;

    /// <summary>A 1×1 convolution with unit strides and no padding: the image itself is the unfolded matrix.</summary>
    public static bool IsPointwise(in ConvShape s) =>
        s.KH == 1 && s.KW == 1 && UnitStrides(s) && s.PadTop == 0 && s.PadLeft == 0 && s.OH == s.H && s.OW == s.W;

    private static bool RowsWeightFits(in ConvShape s) =>
        (long)s.N * s.Groups * Conv.RowsImage(s) <= Array.MaxLength / 2;

    /// <summary>The convolution whose forward pass is the input gradient of s, when s has unit strides and its
    /// padding does not exceed the dilated kernel extent; null otherwise.</summary>
    public static ConvShape? TransposedShape(in ConvShape s)
    {
        int top = (s.KH - 1) * s.DilationH - s.PadTop, left = (s.KW - 1) * s.DilationW - s.PadLeft;
        if (!UnitStrides(s) || top < 0 || left < 0) return null;
        return new ConvShape(s.N, s.O, s.OH, s.OW, s.C, s.KH, s.KW, s.H, s.W, 1, 1, top, left, s.DilationH,
            s.DilationW, s.Groups);
    }

    /// <summary>The convolution whose forward pass is phase (<paramref name="a"/>, <paramref name="b"/>) of the
    /// input gradient of s, the input positions (i·StrideH + a, j·StrideW + b): dY correlated at unit strides with
    /// the taps p = p0 + StrideH·u (p0 = (a + PadTop) mod StrideH; likewise for columns) flipped, input and output
    /// channels of each group exchanged (<see cref="Conv"/>'s PhaseWeights). Null unless s has a stride above 1, no
    /// dilation, kernel sizes that are multiples of the strides, an input at least as large as the strides and
    /// padding that every phase can place (PadTop ≤ KH - StrideH, likewise for columns); then every phase exists
    /// and has the same kernel.</summary>
    public static ConvShape? PhaseShape(in ConvShape s, int a, int b)
    {
        if ((s.StrideH == 1 && s.StrideW == 1) || s.DilationH != 1 || s.DilationW != 1 || s.KH % s.StrideH != 0 ||
            s.KW % s.StrideW != 0 || s.H < s.StrideH || s.W < s.StrideW || s.PadTop > s.KH - s.StrideH ||
            s.PadLeft > s.KW - s.StrideW || (uint)a >= (uint)s.StrideH || (uint)b >= (uint)s.StrideW)
            return null;
        int kh = s.KH / s.StrideH, kw = s.KW / s.StrideW;
        int top = kh - 1 - (a + s.PadTop) / s.StrideH, left = kw - 1 - (b + s.PadLeft) / s.StrideW;
        int rows = (s.H - a + s.StrideH - 1) / s.StrideH, cols = (s.W - b + s.StrideW - 1) / s.StrideW;
        return new ConvShape(s.N, s.O, s.OH, s.OW, s.C, kh, kw, rows, cols, 1, 1, top, left, 1, 1, s.Groups);
    }

    /// <summary>Why <paramref name="plan"/> cannot run <paramref name="pass"/> of <paramref name="s"/> on
    /// <paramref name="isa"/>, or null when it can.</summary>
    public static string? Unsupported(ConvPass pass, ConvPlan plan, in ConvShape s, ConvIsa isa)
    {
        if (plan.Transposed)
        {
            if (pass != ConvPass.InputGradient) return "only the input gradient runs transposed";
            if (TransposedShape(s) is not { } t)
                return "the transposed form needs unit strides and padding within the dilated kernel";
            return Unsupported(ConvPass.Forward, plan with { Transposed = false }, t, isa);
        }
        if (plan.Phased)
        {
            if (pass != ConvPass.InputGradient) return "only the input gradient runs phased";
            if (PhaseShape(s, 0, 0) is null)
            {
                return "the phased form needs a stride above 1, no dilation, kernel sizes that are multiples of the " +
                    "strides, an input at least the strides and padding up to the kernel less the stride";
            }
            for (int a = 0; a < s.StrideH; a++)
            {
                for (int b = 0; b < s.StrideW; b++)
                {
                    if (Unsupported(ConvPass.Forward, plan with { Phased = false }, PhaseShape(s, a, b)!.Value, isa)
                        is { } why)
                        return why + " (on a phase)";
                }
            }
            return null;
        }
        bool forward = pass == ConvPass.Forward, weight = pass == ConvPass.WeightGradient;
        return plan.Kernel switch
        {
            ConvKernel.Im2col or ConvKernel.Small => null,
            ConvKernel.Dense => IsDense(s) ? null
                : "needs one output position whose kernel covers the whole image, no padding, no dilation",
            ConvKernel.Depthwise => IsDepthwise(s) ? null : "needs one input and one output channel per group",
            ConvKernel.Direct or ConvKernel.Wide or ConvKernel.Lanes when !forward && !weight =>
                "runs the input gradient only transposed",
            ConvKernel.Direct => DirectNeeds(s, 16, ConvIsa.Scalar, isa),
            ConvKernel.Wide => DirectNeeds(s, 8, ConvIsa.Avx2, isa),
            ConvKernel.Lanes => DirectNeeds(s, 16, ConvIsa.Avx2, isa),
            ConvKernel.Rows when forward => UnitStrides(s) && isa == ConvIsa.Avx512 ? null
                : "needs unit strides and AVX-512",
            ConvKernel.Rows when weight => UnitStrides(s) && isa >= ConvIsa.Avx2 && s.Og % 16 == 0 &&
                RowsWeightFits(s) ? null
                : "needs unit strides, a multiple of 16 output channels per group, AVX2 and a batch that fits",
            ConvKernel.Rows256 when forward => UnitStrides(s) && isa >= ConvIsa.Avx2 ? null
                : "needs unit strides and AVX2",
            ConvKernel.Implicit when forward => UnitStrides(s) && s.DilationW == 1 ? null
                : "needs unit strides and unit column dilation",
            ConvKernel.Tall when weight => null,
            _ => $"has no {pass} pass" + (forward || weight ? "" : " (only transposed)"),
        };
    }

    private static string? DirectNeeds(in ConvShape s, int maxOutputs, ConvIsa least, ConvIsa isa) =>
        s.Og <= maxOutputs && s.StrideW == 1 && isa >= least ? null
        : $"needs at most {maxOutputs} output channels per group, unit column stride" +
          (least > ConvIsa.Scalar ? $" and {least}" : "");

    [ThreadStatic] private static ConvPlan?[]? forced;

    /// <summary>Makes <paramref name="pass"/> run <paramref name="plan"/> on this thread until the result is
    /// disposed; a shape the kernel cannot run then throws.</summary>
    public static IDisposable Force(ConvPass pass, ConvPlan plan)
    {
        forced ??= new ConvPlan?[3];
        var scope = new ForcedScope(pass, forced[(int)pass]);
        forced[(int)pass] = plan;
        return scope;
    }

    /// <summary><see cref="Force(ConvPass, ConvPlan)"/> for a kernel that runs the pass directly.</summary>
    public static IDisposable Force(ConvPass pass, ConvKernel kernel) => Force(pass, new ConvPlan(kernel));

    private sealed class ForcedScope(ConvPass pass, ConvPlan? previous) : IDisposable
    {
        public void Dispose() => forced![(int)pass] = previous;
    }

    /// <summary>The plan that runs <paramref name="pass"/> of <paramref name="s"/> here: the forced one (checked,
    /// <paramref name="op"/> names the caller in the error) or the planner's.</summary>
    public static ConvPlan Choose(string op, ConvPass pass, in ConvShape s)
    {
        if (forced?[(int)pass] is not { } plan)
        {
            return pass switch
            {
                ConvPass.Forward => Forward(s, Isa),
                ConvPass.InputGradient => InputGradient(s, Isa),
                _ => WeightGradient(s, Isa),
            };
        }
        if (Unsupported(pass, plan, s, Isa) is { } why)
            throw new ArgumentException($"{op}: forced kernel {plan} {why} ({Isa} here), got {s}");
        return plan;
    }
}
