namespace Dendrite.IO;

// GridSample(X [N, C, H, W], grid [N, Ho, Wo, 2]) → [N, C, Ho, Wo]: each output pixel samples X at the grid's
// (x, y), given in [−1, 1] across the image. Unnormalised with align_corners as
//   x = (g + 1)/2 · (W − 1)          (align_corners 1: −1 and 1 are the centres of the corner pixels)
//   x = ((g + 1)·W − 1)/2            (align_corners 0: −1 and 1 are the outer edges of the corner pixels)
// then read bilinearly, by nearest pixel (ties to even) or bicubically (Keys, A = −0.75), where a position outside
// the image reads 0 (zeros), the nearest edge (border) or its mirror image (reflection). The semantics are
// PyTorch's grid_sample, which the ONNX operator was defined from.
internal static partial class OnnxOps
{
    private static void AddGridSample(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["GridSample"] = One(GridSample);
    }

    private static Tensor GridSample(OnnxNode n)
    {
        var x = n.In(0);
        var grid = n.In(1);
        if (x.Rank != 4 || grid.Rank != 4 || grid.Shape[3] != 2 || grid.Shape[0] != x.Shape[0])
            throw n.Error($"X {Shapes.Format(x.Shape)} must be [N, C, H, W] and grid {Shapes.Format(grid.Shape)} "
                + "[N, Ho, Wo, 2]");
        string mode = n.Str("mode", "bilinear"), padding = n.Str("padding_mode", "zeros");
        if (mode is not ("bilinear" or "nearest" or "bicubic"))
            throw n.Error($"attribute mode '{mode}' is not one of bilinear, nearest, bicubic");
        if (padding is not ("zeros" or "border" or "reflection"))
            throw n.Error($"attribute padding_mode '{padding}' is not one of zeros, border, reflection");
        bool align = n.Int("align_corners", 0) != 0;
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3], Ho = grid.Shape[1], Wo = grid.Shape[2];
        CheckedNumel(n, [N, C, Ho, Wo], "output shape");
        var v = x.ToArray<double>();
        var g = grid.ToArray<double>();
        var y = new double[N * C * Ho * Wo];
        // Reads pixel (r, c) of plane p, applying the padding mode to integer positions (bicubic taps).
        double Read(int plane, long r, long c)
        {
            if (padding != "zeros")
            {
                r = (long)Padded(r, H, padding, align);
                c = (long)Padded(c, W, padding, align);
            }
            return r < 0 || r >= H || c < 0 || c >= W ? 0 : v[(plane * H + r) * W + c];
        }
        for (int b = 0; b < N; b++)
        {
            for (int i = 0; i < Ho * Wo; i++)
            {
                double gx = g[(b * Ho * Wo + i) * 2], gy = g[(b * Ho * Wo + i) * 2 + 1];
                double px = align ? (gx + 1) / 2 * (W - 1) : ((gx + 1) * W - 1) / 2;
                double py = align ? (gy + 1) / 2 * (H - 1) : ((gy + 1) * H - 1) / 2;
                if (mode != "bicubic")
                {
                    px = Padded(px, W, padding, align);
                    py = Padded(py, H, padding, align);
                }
                for (int c = 0; c < C; c++)
                {
                    int plane = b * C + c;
                    double value;
                    if (mode == "nearest")
                    {
                        value = ReadZero(v, plane, H, W, Math.Round(py, MidpointRounding.ToEven),
                            Math.Round(px, MidpointRounding.ToEven));
                    }
                    else if (mode == "bilinear")
                    {
                        double x0 = Math.Floor(px), y0 = Math.Floor(py), tx = px - x0, ty = py - y0;
                        value = ReadZero(v, plane, H, W, y0, x0) * (1 - tx) * (1 - ty)
                            + ReadZero(v, plane, H, W, y0, x0 + 1) * tx * (1 - ty)
                            + ReadZero(v, plane, H, W, y0 + 1, x0) * (1 - tx) * ty
                            + ReadZero(v, plane, H, W, y0 + 1, x0 + 1) * tx * ty;
                    }
                    else
                    {
                        double x0 = Math.Floor(px), y0 = Math.Floor(py);
                        var wx = CubicWeights(px - x0);
                        var wy = CubicWeights(py - y0);
                        value = 0;
                        for (int r = 0; r < 4; r++)
                        {
                            double row = 0;
                            for (int k = 0; k < 4; k++) row += wx[k] * Read(plane, (long)y0 - 1 + r, (long)x0 - 1 + k);
                            value += wy[r] * row;
                        }
                    }
                    y[plane * Ho * Wo + i] = value;
                }
            }
        }
        return Tensor.From(y, N, C, Ho, Wo).To(x.DType);
    }

    private static double ReadZero(double[] v, int plane, int h, int w, double r, double c) =>
        r < 0 || r >= h || c < 0 || c >= w || double.IsNaN(r) || double.IsNaN(c) ? 0
            : v[((long)plane * h + (long)r) * w + (long)c];

    // Keys' cubic convolution weights (A = −0.75) for taps at distances 1 + t, t, 1 − t, 2 − t.
    private static double[] CubicWeights(double t)
    {
        const double a = -0.75;
        static double Near(double d) => ((a + 2) * d - (a + 3)) * d * d + 1;
        static double Far(double d) => ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        return [Far(t + 1), Near(t), Near(1 - t), Far(2 - t)];
    }

    /// <summary>A coordinate moved inside [0, size − 1] by the border or reflection padding mode (zeros leaves
    /// it where it is).</summary>
    private static double Padded(double p, int size, string padding, bool align)
    {
        if (padding == "zeros") return p;
        if (padding == "reflection")
        {
            p = align ? Reflect(p, 0, 2.0 * (size - 1)) : Reflect(p, -1, 2.0 * size - 1);
        }
        return Math.Clamp(p, 0, size - 1);
    }

    // Mirrors p into [low/2, high/2] by repeated reflection at the ends.
    private static double Reflect(double p, double twiceLow, double twiceHigh)
    {
        if (twiceLow == twiceHigh) return 0;
        double min = twiceLow / 2, span = (twiceHigh - twiceLow) / 2;
        p = Math.Abs(p - min);
        double extra = p % span;
        double flips = Math.Floor(p / span);
        return flips % 2 == 0 ? extra + min : span - extra + min;
    }
}
