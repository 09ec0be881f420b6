using System.Reflection;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

// Throwaway: records the kernel each pass takes today for many shapes, to check a planner against.
public class ConvPlanRecorder
{
    public static List<ConvShape> AllShapes()
    {
        var list = ConvPlanShapes.Named.Select(p => p.Shape).ToList();
        var gen = new Random(1234);
        int[] sizes = [1, 2, 3, 4, 5, 7, 8, 10, 11, 14, 16, 28, 56];
        int[] chans = [1, 2, 3, 4, 6, 8, 9, 12, 16, 17, 24, 31, 32, 48, 64, 96, 128];
        while (list.Count < 6000)
        {
            int groups = gen.Next(4) switch { 0 => 1, 1 => 1, 2 => 2, _ => 0 };
            int cg = chans[gen.Next(chans.Length)], og = chans[gen.Next(chans.Length)];
            if (groups == 0)
            {
                groups = chans[gen.Next(chans.Length)];
                cg = 1;
                og = gen.Next(3) == 0 ? 2 : 1;
            }
            int k = new[] { 1, 1, 2, 3, 3, 3, 4, 5, 7, 11 }[gen.Next(10)];
            int kw = gen.Next(8) == 0 ? 1 + gen.Next(5) : k;
            int sh = new[] { 1, 1, 1, 2, 2, 3, 4 }[gen.Next(7)], sw = gen.Next(6) == 0 ? 1 + gen.Next(3) : sh;
            int dh = gen.Next(6) == 0 ? 2 : 1, dw = gen.Next(8) == 0 ? 3 - dh : dh;
            int ph = gen.Next(4) == 0 ? 0 : gen.Next(k), pw = gen.Next(5) == 0 ? gen.Next(kw) : ph;
            int h = sizes[gen.Next(sizes.Length)], w = gen.Next(4) == 0 ? sizes[gen.Next(sizes.Length)] : h;
            int n = new[] { 1, 2, 8, 16 }[gen.Next(4)];
            if (gen.Next(10) == 0) { h = 1; k = 1; ph = 0; sh = 1; dh = 1; }
            int oh = ConvShape.OutputSize(h, k, sh, ph, ph, dh), ow = ConvShape.OutputSize(w, kw, sw, pw, pw, dw);
            if (oh <= 0 || ow <= 0 || ph >= (k - 1) * dh + 1 || pw >= (kw - 1) * dw + 1) continue;
            list.Add(new ConvShape(n, cg * groups, h, w, og * groups, k, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups));
        }
        return list;
    }

    private static bool P(string name, ConvShape s) =>
        (bool)typeof(Conv).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [s])!;

    private static ConvShape? T(ConvShape s) =>
        (ConvShape?)typeof(Conv).GetMethod("TransposedShape", BindingFlags.NonPublic | BindingFlags.Static)!
            .Invoke(null, [s]);

    // Today's dispatch, with today's predicates on this machine.
    public static string Forward(ConvShape s)
    {
        bool depthwise = P("UseDepthwiseForward", s);
        bool direct = P("UseDirect", s) && !depthwise;
        if (direct && P("UseLanes", s)) return "Lanes";
        if (direct && P("UseWide", s)) return "Wide";
        if (direct) return "Direct";
        if (depthwise) return "Depthwise";
        if (P("UseSmall", s)) return "Small";
        if (P("UseRows", s)) return "Rows";
        if (P("UseRows256", s)) return "Rows256";
        if (P("UseImplicit", s)) return "Implicit";
        return "Im2col";
    }

    public static string Input(ConvShape s)
    {
        if (P("UseDepthwise", s)) return "Depthwise";
        if (T(s) is { } t && (P("UseDirect", t) || P("UseRows", t) || P("UseImplicit", t)))
            return "Transposed." + Forward(t);
        if (P("UseSmall", s)) return "Small";
        return "Im2col";
    }

    public static string Weight(ConvShape s)
    {
        bool direct = P("UseDirect", s), lanes = direct && P("UseLanes", s);
        if (P("UseDepthwise", s)) return "Depthwise";
        if (!direct && P("UseSmall", s)) return "Small";
        if (!direct && P("UseRowsWeight", s)) return "Rows";
        if (!direct && P("UseTall", s)) return "Tall";
        if (lanes) return "Lanes";
        if (direct && P("UseWide", s)) return "Wide";
        return direct ? "Direct" : "Im2col";
    }

    // The same predicates written out with the instruction sets as arguments, for AVX-512 (not on this machine).
    private static bool Pointwise(ConvShape s) =>
        s.KH == 1 && s.KW == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadTop == 0 && s.PadLeft == 0 &&
        s.OH == s.H && s.OW == s.W;

    private sealed record Flags(bool V512, bool F512, bool L256)
    {
        public bool DepthwiseFwd(ConvShape s) => s.Cg == 1 && s.Og == 1 && (s.StrideW > 1 || V512);
        public static bool Depthwise(ConvShape s) => s.Cg == 1 && s.Og == 1 && s.StrideW > 1;
        public static bool Direct(ConvShape s) => s.Og <= 16 && s.StrideW == 1 && !Pointwise(s);
        public bool Lanes(ConvShape s) => L256 && s.Og > 8 && s.Og <= 16;
        public bool Wide(ConvShape s) => L256 && s.Og <= 8;
        public static bool Small(ConvShape s) => s.L > 0 && s.L <= 100 && s.Og >= 32;
        public bool Rows(ConvShape s) => V512 && F512 && s.StrideH == 1 && s.StrideW == 1 && !Pointwise(s);
        public bool Rows256(ConvShape s) => L256 && !F512 && s.StrideH == 1 && s.StrideW == 1 && !Pointwise(s);
        public static bool Implicit(ConvShape s) =>
            s.StrideH == 1 && s.StrideW == 1 && s.DilationW == 1 && !Pointwise(s);
        public bool RowsWeight(ConvShape s) => (Rows(s) || Rows256(s)) && s.Og % 16 == 0 &&
            (long)s.N * s.Groups * RowsImage(s) <= Array.MaxLength / 2;

        private static int RowsImage(ConvShape s)
        {
            int width = Math.Max(s.OW, Math.Max(s.OW + (s.KW - 1) * s.DilationW - s.PadLeft, s.PadLeft + s.W));
            int plane = (s.OH + (s.KH - 1) * s.DilationH) * width;
            return (s.Cg * plane + 48 + (s.KW - 1) * s.DilationW + 15) / 16 * 16;
        }

        public string Forward(ConvShape s)
        {
            bool depthwise = DepthwiseFwd(s);
            bool direct = Direct(s) && !depthwise;
            if (direct && Lanes(s)) return "Lanes";
            if (direct && Wide(s)) return "Wide";
            if (direct) return "Direct";
            if (depthwise) return "Depthwise";
            if (Small(s)) return "Small";
            if (Rows(s)) return "Rows";
            if (Rows256(s)) return "Rows256";
            if (Implicit(s)) return "Implicit";
            return "Im2col";
        }

        public string Input(ConvShape s)
        {
            if (Depthwise(s)) return "Depthwise";
            if (T(s) is { } t && (Direct(t) || Rows(t) || Implicit(t))) return "Transposed." + Forward(t);
            if (Small(s)) return "Small";
            return "Im2col";
        }

        public string Weight(ConvShape s)
        {
            bool direct = Direct(s), lanes = direct && Lanes(s);
            if (Depthwise(s)) return "Depthwise";
            if (!direct && Small(s)) return "Small";
            if (!direct && RowsWeight(s)) return "Rows";
            if (!direct && !Pointwise(s)) return "Tall";
            if (lanes) return "Lanes";
            if (direct && Wide(s)) return "Wide";
            return direct ? "Direct" : "Im2col";
        }
    }

    private static string Line(ConvShape s, string f, string i, string w) =>
        $"{s.N} {s.C} {s.H} {s.W} {s.O} {s.KH} {s.KW} {s.OH} {s.OW} {s.StrideH} {s.StrideW} {s.PadTop} {s.PadLeft} " +
        $"{s.DilationH} {s.DilationW} {s.Groups} {f} {i} {w}";

    [Fact]
    public void Record()
    {
        var path = Environment.GetEnvironmentVariable("DENDRITE_PLAN_RECORD");
        if (path is null) return;
        var here = new Flags(Vector512.IsHardwareAccelerated, Avx512F.IsSupported, Avx2.IsSupported && Fma.IsSupported);
        var lines = new List<string>();
        foreach (var s in AllShapes())
        {
            // The written-out predicates agree with the real ones on this machine.
            Assert.Equal(Forward(s), here.Forward(s));
            Assert.Equal(Input(s), here.Input(s));
            Assert.Equal(Weight(s), here.Weight(s));
            lines.Add(Line(s, Forward(s), Input(s), Weight(s)));
        }
        File.WriteAllLines(path, lines);
        var avx512 = new Flags(true, true, true);
        File.WriteAllLines(path + ".avx512",
            AllShapes().Select(s => Line(s, avx512.Forward(s), avx512.Input(s), avx512.Weight(s))));
    }
}
