using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

/// <summary>Convolution shapes whose kernel choice is pinned: every layer of the course models timed by the bench
/// (conv-ops and conv scenarios) and odd shapes (groups, dilation, strides 2 to 4, 1×1, 5×5, 7×7, tiny maps,
/// batch 1).</summary>
internal static class ConvPlanShapes
{
    /// <summary>A square layer: batch, input channels, size, output channels, kernel, stride, padding, dilation and
    /// groups.</summary>
    public static ConvShape Square(int n, int c, int h, int o, int k, int stride, int pad, int dil = 1,
        int groups = 1)
    {
        int oh = ConvShape.OutputSize(h, k, stride, pad, pad, dil);
        return new ConvShape(n, c, h, h, o, k, k, oh, oh, stride, stride, pad, pad, dil, dil, groups);
    }

    public static readonly (string Name, ConvShape Shape)[] Named =
    [
        ("lenet_conv1", Square(64, 1, 28, 6, 5, 1, 2)),
        ("lenet_conv2", Square(64, 6, 14, 16, 5, 1, 0)),
        ("resnet_conv3x3_56", Square(8, 64, 56, 64, 3, 1, 1)),
        ("resnet_conv3x3_28", Square(8, 128, 28, 128, 3, 1, 1)),
        ("resnet_conv3x3_14", Square(8, 256, 14, 256, 3, 1, 1)),
        ("resnet_conv3x3_7", Square(8, 512, 7, 512, 3, 1, 1)),
        ("resnet_conv3x3_4", Square(8, 512, 4, 512, 3, 1, 1)),
        ("resnet_down3x3_s2_56", Square(8, 64, 56, 128, 3, 2, 1)),
        ("resnet_down3x3_s2_14", Square(8, 256, 14, 512, 3, 2, 1)),
        ("resnet_proj1x1_s2", Square(8, 64, 56, 128, 1, 2, 0)),
        ("resnet_proj1x1_s2_14", Square(8, 256, 14, 512, 1, 2, 0)),
        ("resnet_stem7x7_s2", Square(8, 3, 224, 64, 7, 2, 3)),
        ("vgg_conv3x3_28", Square(16, 128, 28, 128, 3, 1, 1)),
        ("vgg_conv3x3_first", Square(16, 3, 32, 64, 3, 1, 1)),
        ("densenet_conv3x3_28", Square(16, 128, 28, 32, 3, 1, 1)),
        ("densenet_bottleneck1x1_28", Square(16, 256, 28, 128, 1, 1, 0)),
        ("googlenet_5x5_28", Square(16, 16, 28, 32, 5, 1, 2)),
        ("googlenet_3x3_208_14", Square(16, 96, 14, 208, 3, 1, 1)),
        ("googlenet_1x1_14", Square(16, 480, 14, 192, 1, 1, 0)),
        ("alexnet_conv1", Square(8, 3, 224, 64, 11, 4, 2)),
        ("alexnet_conv2", Square(8, 64, 27, 192, 5, 1, 2)),
        ("mobilenet_dw3x3_56", Square(8, 128, 56, 128, 3, 1, 1, groups: 128)),
        ("mobilenet_dw3x3_s2_56", Square(8, 128, 56, 128, 3, 2, 1, groups: 128)),
        ("mobilenet_dw3x3_7", Square(8, 1024, 7, 1024, 3, 1, 1, groups: 1024)),
        ("mobilenet_pw1x1_56", Square(8, 128, 56, 128, 1, 1, 0)),
        ("pointwise1x1_7", Square(8, 512, 7, 512, 1, 1, 0)),
        ("pointwise1x1_4_1024", Square(8, 1024, 4, 1024, 1, 1, 0)),
        ("dcgan_disc4x4_s2", Square(16, 64, 32, 128, 4, 2, 1)),
        // A DCGAN generator's first layer (noise to 7×7) as the convolution whose input gradient it is, and the
        // discriminator's last (7×7 to one logit).
        ("dcgan_gen7x7_from1x1", Square(64, 256, 7, 100, 7, 1, 0)),
        ("dcgan_disc7x7_to1x1", Square(64, 128, 7, 1, 7, 1, 0)),
        // The 28×28 DCGAN of the `dcgan` bench: the discriminator's 64 → 128 4×4 stride-2 layer onto 7×7, the
        // generator's 256 → 128 and 128 → 1 transposed layers as the convolutions whose input gradients they are.
        ("dcgan_disc4x4_s2_14", Square(64, 64, 14, 128, 4, 2, 1)),
        ("dcgan_gen4x4_s2_7", Square(64, 128, 14, 256, 4, 2, 1)),
        ("dcgan_gen4x4_s2_to1", Square(64, 1, 28, 128, 4, 2, 1)),
        ("unet_conv3x3_64_b1", Square(1, 64, 64, 64, 3, 1, 1)),
        ("grouped3x3_g4", Square(2, 32, 14, 64, 3, 1, 1, groups: 4)),
        ("grouped3x3_g2_og12", Square(2, 8, 9, 24, 3, 1, 1, groups: 2)),
        ("dilated3x3_d2", Square(2, 16, 20, 32, 3, 1, 2, dil: 2)),
        ("dilated3x3_d2_og8", Square(1, 4, 13, 8, 3, 1, 2, dil: 2)),
        ("stride3_5x5", Square(2, 8, 23, 40, 5, 3, 2)),
        ("stride4_3x3", Square(1, 3, 40, 16, 3, 4, 1)),
        ("stride2_og8", Square(4, 3, 17, 8, 3, 2, 1)),
        ("tiny2x2_og64", Square(4, 16, 2, 64, 3, 1, 1)),
        ("tiny1x1_map", Square(1, 8, 1, 32, 1, 1, 0)),
        ("batch1_7x7_og12", Square(1, 5, 12, 12, 7, 1, 3)),
        ("batch1_5x5_og100", Square(1, 10, 30, 100, 5, 1, 2)),
        ("depthwise5x5_s2_dil", Square(2, 6, 19, 6, 5, 2, 2, dil: 2, groups: 6)),
        ("depthwise_mult2", Square(2, 4, 12, 8, 3, 1, 1, groups: 4)),
        ("conv1d_k3", new ConvShape(4, 16, 1, 100, 32, 1, 3, 1, 98, 1, 1, 0, 0, 1, 1, 1)),
        ("conv1d_k5_s2", new ConvShape(2, 8, 1, 64, 8, 1, 5, 1, 30, 1, 2, 0, 0, 1, 1, 1)),
        ("asym_pad_1x1_pad", new ConvShape(2, 16, 6, 6, 48, 1, 1, 8, 8, 1, 1, 1, 1, 1, 1, 1)),
        ("stride_h_only", new ConvShape(2, 4, 12, 10, 24, 3, 3, 5, 8, 2, 1, 0, 0, 1, 1, 1)),
        ("dilation_w_only", new ConvShape(2, 4, 12, 14, 24, 3, 3, 10, 10, 1, 1, 0, 0, 1, 2, 1)),
    ];
}
