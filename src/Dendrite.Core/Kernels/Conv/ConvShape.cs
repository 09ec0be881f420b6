namespace Dendrite.Kernels;

/// <summary>
/// The geometry of a 2-D convolution in PyTorch layout: input x (N, C, H, W), weight (O, C/G, KH, KW), output
/// (N, O, OH, OW). PadTop/PadLeft place the first window; the output size is given, so padding at the far edge
/// may differ (asymmetric ONNX pads, the output padding of a transposed convolution). A 1-D convolution is the
/// case H = KH = 1.
/// </summary>
internal readonly record struct ConvShape(
    int N, int C, int H, int W, int O, int KH, int KW, int OH, int OW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW, int Groups)
{
    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int Og => O / Groups;

    /// <summary>Rows of the unfolded input (one per weight element of a group): Cg·KH·KW.</summary>
    public int K => Cg * KH * KW;

    /// <summary>Output positions per image: OH·OW.</summary>
    public int L => OH * OW;

    /// <summary>Output length of a convolution: ⌊(in + padBegin + padEnd - dilation·(k-1) - 1) / stride⌋ + 1.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation) =>
        (int)Math.Floor((input + padBegin + padEnd - dilation * (kernel - 1) - 1) / (double)stride) + 1;
}
