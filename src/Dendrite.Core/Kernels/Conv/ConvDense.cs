namespace Dendrite.Kernels;

// Convolutions with one output position whose kernel covers the whole unpadded image (a DCGAN discriminator's last
// 7×7 layer over a 7×7 map, and as its input gradient a generator's first transposed convolution from 1×1 to 7×7):
// each group is a fully connected layer over the flattened image, so each pass is one product over the whole batch
// instead of a matrix-vector product and a fold per image (0.14 against 2.0 GFLOP/s for PyTorch on `conv-ops
// dcgan_d_conv3` dX that way).
internal static unsafe partial class Conv
{
    // Group g of image n reads the K = Cg·H·W floats at (n·C + g·Cg)·H·W: rows C·H·W apart. Its Og outputs are at
    // n·O + g·Og, its weights the Og × K block at g·Og·K.

    // y = x·wᵀ + b per group: (N × K) · (K × Og).
    private static void ForwardDense(float* x, float* w, float* bias, float* y, in ConvShape s)
    {
        int image = s.C * s.H * s.W;
        for (int g = 0; g < s.Groups; g++)
        {
            Gemm.Sgemm(false, true, s.N, s.Og, s.K, 1f, Block(x + (long)g * s.K, s.N, image, s.K), image,
                Block(w + (long)g * s.Og * s.K, s.Og, s.K, s.K), s.K, 0f, Block(y + g * s.Og, s.N, s.O, s.Og), s.O);
        }
        if (bias is null) return;
        for (int n = 0; n < s.N; n++)
        {
            var row = new Span<float>(y + (long)n * s.O, s.O);
            System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(bias, s.O), row);
        }
    }

    // dx = dy·w per group: (N × Og) · (Og × K); every input position is read by the one output, so dx is overwritten.
    private static void BackwardInputDense(float* dy, float* w, float* dx, in ConvShape s)
    {
        int image = s.C * s.H * s.W;
        for (int g = 0; g < s.Groups; g++)
        {
            Gemm.Sgemm(false, false, s.N, s.K, s.Og, 1f, Block(dy + g * s.Og, s.N, s.O, s.Og), s.O,
                Block(w + (long)g * s.Og * s.K, s.Og, s.K, s.K), s.K, 0f, Block(dx + (long)g * s.K, s.N, image, s.K),
                image);
        }
    }

    // dw = dyᵀ·x per group: (Og × N) · (N × K).
    private static void BackwardWeightDense(float* x, float* dy, float* dw, in ConvShape s)
    {
        int image = s.C * s.H * s.W;
        for (int g = 0; g < s.Groups; g++)
        {
            Gemm.Sgemm(true, false, s.Og, s.K, s.N, 1f, Block(dy + g * s.Og, s.N, s.O, s.Og), s.O,
                Block(x + (long)g * s.K, s.N, image, s.K), image, 0f,
                Block(dw + (long)g * s.Og * s.K, s.Og, s.K, s.K), s.K);
        }
    }

    // The floats of a rows × cols block whose rows are ld apart.
    private static Span<float> Block(float* p, int rows, int ld, int cols) =>
        new(p, (int)((long)(rows - 1) * ld + cols));
}
