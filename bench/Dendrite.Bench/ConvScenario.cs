using System.Globalization;
using Dendrite.Nn;

namespace Dendrite.Bench;

/// <summary>conv2d forward and forward+backward (float32, NCHW) for the cases of shared/reference/conv.py and two of
/// this project's own (a DenseNet and a MobileNet layer), built from Dendrite's layers in training mode, in
/// alternating rounds against bench/reference/conv.py. GFLOP/s counts only the convolutions' multiply-adds (2 flop
/// per MAC); backward adds the weight gradient and, unless the input does not require grad (a network's first
/// layer), the input gradient, each as many flop as the forward.</summary>
internal static class ConvScenario
{
    /// <summary>One case: its name in conv.py, the module, the input shape and whether the input needs grad.</summary>
    private sealed record Case(string Name, Func<Module> Create, int[] Input, bool InputGrad);

    private static readonly Case[] Cases =
    [
        new("lenet_conv1_5x5_1to6_pad2_b64", () => new Conv2d(1, 6, 5, padding: 2), [64, 1, 28, 28], false),
        new("lenet_conv2_5x5_6to16_b64", () => new Conv2d(6, 16, 5), [64, 6, 14, 14], true),
        new("resnet18_basicblock_64c_56x56_b8", () => new BasicBlock(64), [8, 64, 56, 56], true),
        new("resnet_conv3x3_64to64_56x56_b8", () => new Conv2d(64, 64, 3, padding: 1, bias: false), [8, 64, 56, 56],
            true),
        new("vgg_conv3x3_128to128_28x28_b16", () => new Conv2d(128, 128, 3, padding: 1), [16, 128, 28, 28], true),
        // Not in shared/reference/conv.py: a DenseNet-121 dense layer's 3×3 convolution (bottleneck of 128
        // channels to the growth rate of 32) at 28×28.
        new("densenet_conv3x3_128to32_28x28_b16", () => new Conv2d(128, 32, 3, padding: 1, bias: false),
            [16, 128, 28, 28], true),
        // Not in shared/reference/conv.py either: a MobileNet depthwise 3×3 convolution with stride 2.
        new("mobilenet_dw3x3_s2_128c_56x56_b8", () => new Conv2d(128, 128, 3, stride: 2, padding: 1, groups: 128,
            bias: false), [8, 128, 56, 56], true),
    ];

    public static int Run(Options o)
    {
        var selected = Select(o.Shapes);
        using var torch = o.PyTorch ? PyTorch.Start("conv.py", o.Threads) : null;
        var load = new Report.Load();
        foreach (var c in selected)
        {
            Generator.ManualSeed(0);
            var module = c.Create();
            var layer = (ILayer)module;
            var gen = new Generator(1);
            var x = Tensor.Randn(c.Input, gen);
            Tensor y;
            using (Autograd.NoGrad()) y = layer.Forward(x);
            var g = Tensor.Randn(y.Shape.ToArray(), gen);
            var xg = x.Clone();
            if (c.InputGrad) xg.RequireGrad();
            var parameters = module.Parameters().ToArray();

            double fwdFlop = module.NamedModules().Select(m => m.Module).OfType<Conv2d>().Sum(conv => Flop(conv, y));
            double bwdFlop = fwdFlop * (c.InputGrad ? 2 : 1);

            void Forward()
            {
                using var scope = TensorScope.Begin();
                using var _ = Autograd.NoGrad();
                layer.Forward(x);
            }

            void ForwardBackward()
            {
                using var scope = TensorScope.Begin();
                foreach (var p in parameters) p.Grad = null;
                xg.Grad = null;
                layer.Forward(xg).Backward(g);
            }

            foreach (var (mode, f, flop) in new[] { ("fwd", (Action)Forward, fwdFlop),
                         ("fwd+bwd", ForwardBackward, fwdFlop + bwdFlop) })
            {
                // Two untimed blocks first, so that the timed rounds run fully optimised code.
                for (int w = 0; w < 2; w++) Report.TimeBlock(f, o.MinTime);
                var mine = new List<double>();
                var theirs = new List<double>();
                for (int r = 0; r < o.Rounds; r++)
                {
                    mine.Add(Report.TimeBlock(f, o.MinTime));
                    if (torch is not null)
                    {
                        theirs.Add(torch.Request(
                            string.Create(CultureInfo.InvariantCulture, $"{c.Name} {mode} {o.MinTime}"), "seconds"));
                    }
                }
                Report.EmitPair("conv", c.Name, mode, o.Threads, flop, mine, theirs);
            }
        }
        Report.Emit("conv", "all", "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }

    // 2·N·O·OH·OW·(C/G)·KH·KW; every convolution of a case keeps the case's output shape, as conv.py assumes.
    private static double Flop(Conv2d conv, Tensor y)
    {
        var w = conv.Weight.Shape;
        return 2.0 * y.Size(0) * y.Size(1) * y.Size(2) * y.Size(3) * w[1] * w[2] * w[3];
    }

    // --shapes for this scenario is a comma-separated list of case names (all cases when absent).
    private static List<Case> Select(string? names)
    {
        if (names is null) return [.. Cases];
        var picked = new List<Case>();
        foreach (var name in names.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            picked.Add(Cases.FirstOrDefault(c => c.Name == name) ?? throw new FormatException(
                $"--shapes: '{name}' is not a conv case; cases: {string.Join(", ", Cases.Select(c => c.Name))}"));
        }
        return picked;
    }

    /// <summary>The ResNet-18 basic block of conv.py: relu(bn2(conv2(relu(bn1(conv1(x))))) + x), 3×3 convolutions
    /// with padding 1 and no bias.</summary>
    private sealed class BasicBlock(int channels) : Module, ILayer
    {
        public Conv2d Conv1 { get; } = new(channels, channels, 3, padding: 1, bias: false);

        public BatchNorm2d Bn1 { get; } = new(channels);

        public Conv2d Conv2 { get; } = new(channels, channels, 3, padding: 1, bias: false);

        public BatchNorm2d Bn2 { get; } = new(channels);

        public Tensor Forward(Tensor x) => (Bn2.Forward(Conv2.Forward(Bn1.Forward(Conv1.Forward(x)).Relu())) + x).Relu();
    }
}
