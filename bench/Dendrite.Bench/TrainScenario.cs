using Dendrite.Data;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Bench;

/// <summary>Fashion-MNIST training epochs, mirroring shared/reference/train_fmnist.py: the full 60,000 training
/// images in memory (pixels /255, standardised), Adam lr 1e-3, batch 64, a seeded permutation per epoch and batches
/// sliced from the in-memory tensor. Epochs alternate between Dendrite and PyTorch; both report seconds per epoch
/// and the test accuracy after the last epoch.</summary>
internal static class TrainScenario
{
    public static int Mlp(Options o) => Run(o, "mlp-epoch", "mlp", Models.Mlp.FashionMnist);

    /// <summary>The `lenet-epoch` scenario: the zoo's modern LeNet-5 (ReLU, max pooling, C1 padded by 2), which is
    /// train_fmnist.py's LeNet5 layer for layer (its C5, a 5×5 convolution over the 5×5 map, is the reference's
    /// fc1 on the flattened 400 values; 61,706 parameters on both sides).</summary>
    public static int LeNet(Options o) => Run(o, "lenet-epoch", "lenet", () => Models.LeNet.Modern());

    private static int Run(Options o, string scenario, string name, Func<Module> create)
    {
        string folder = FashionMnist.Locate();
        var (xTrain, yTrain) = FashionMnist.Load(folder, "train");
        var (xTest, yTest) = FashionMnist.Load(folder, "t10k");
        using var torch = o.PyTorch ? PyTorch.Start("train_fmnist.py", o.Threads, "--model", name, "--data", folder) : null;
        var load = new Report.Load();
        Generator.ManualSeed(0);
        var model = create();
        var forward = ((ILayer)model).Call;
        var optimizer = new Adam(model.Parameters(), 1e-3);
        var loader = new DataLoader(xTrain, yTrain, 64, shuffle: true, generator: new Generator(0));
        var mine = new List<double>();
        var theirs = new List<double>();
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var (x, y) in loader)
            {
                using var scope = TensorScope.Begin();
                var loss = Losses.CrossEntropy(forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
            mine.Add(clock.Elapsed.TotalSeconds);
            Report.Turns.Pass();
            Report.Emit(scenario, name, "train", "dendrite", o.Threads, "epoch_s", mine[^1], "s");
            if (torch is null) continue;
            theirs.Add(torch.Request("epoch", "epoch_s"));
            Report.Emit(scenario, name, "train", "pytorch", o.Threads, "epoch_s", theirs[^1], "s");
        }
        var (_, acc) = new Training.Trainer(model, optimizer, Losses.CrossEntropy).Evaluate(xTest, yTest);
        Report.Emit(scenario, name, "eval", "dendrite", o.Threads, "test_acc", acc, "fraction");
        if (torch is not null)
        {
            Report.Emit(scenario, name, "eval", "pytorch", o.Threads, "test_acc", torch.Request("eval", "test_acc"), "fraction");
            Report.Emit(scenario, name, "train", "dendrite", o.Threads, "ratio_vs_pytorch",
                Report.Median(theirs) / Report.Median(mine), "x");
        }
        Report.Emit(scenario, name, "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }
}
