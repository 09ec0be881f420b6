using System.Globalization;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Microsoft.ML.OnnxRuntime;

namespace Dendrite.Bench;

/// <summary>Whole convolutional networks from the zoo against torchvision's, in alternating rounds against
/// bench/reference/cnn_step.py and cnn_infer.py. `cnn-step`: one SGD training step (forward, cross-entropy,
/// backward, momentum update) at batch 16 on 3×112×112. `cnn-infer`: an eval-mode forward without gradients at
/// batch 1 and 8 on 3×224×224, four ways: the zoo model, torchvision's model exported to ONNX by the reference
/// script and run through <see cref="OnnxModel"/>, PyTorch eager, and ONNX Runtime in this process (sequential
/// execution, as many intra-op threads as --threads). Times are milliseconds per call, medians over the rounds;
/// ratios are PyTorch's time over the other's (above 1: faster than PyTorch).</summary>
internal static class CnnScenario
{
    private const int Classes = 1000;

    private static readonly Dictionary<string, Func<Module>> Models = new()
    {
        ["resnet18"] = () => ResNet.ResNet18(),
        ["mobilenet_v2"] = () => MobileNet.V2(),
        ["googlenet"] = () => new GoogLeNet(auxLogits: false),
        ["densenet121"] = () => DenseNet.DenseNet121(),
    };

    /// <summary>The `cnn-step` scenario (--shapes: resnet18, mobilenet_v2).</summary>
    public static int Step(Options o)
    {
        var names = Select(o.Shapes, ["resnet18", "mobilenet_v2"]);
        using var torch = o.PyTorch ? PyTorch.Start("cnn_step.py", o.Threads) : null;
        var load = new Report.Load();
        foreach (var name in names)
        {
            Generator.ManualSeed(0);
            var model = Models[name]();
            var forward = ((ILayer)model).Call;
            var optimizer = new Momentum(model.Parameters(), 0.01, 0.9);
            var gen = new Generator(1);
            var x = Tensor.Randn([16, 3, 112, 112], gen);
            var y = (Tensor.Rand([16], gen) * Classes).Floor().To(DType.Int64);

            void Step()
            {
                using var scope = TensorScope.Begin();
                var loss = Losses.CrossEntropy(forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }

            Report.TimeBlock(Step, o.MinTime);
            var mine = new List<double>();
            var theirs = new List<double>();
            for (int r = 0; r < o.Rounds; r++)
            {
                mine.Add(Report.TimeBlock(Step, o.MinTime));
                if (torch is not null)
                    theirs.Add(torch.Request(string.Create(CultureInfo.InvariantCulture, $"{name} {o.MinTime}"),
                        "seconds"));
            }
            EmitTimes("cnn-step", name, "step", o.Threads, ("dendrite", mine), ("pytorch", theirs));
        }
        Report.Emit("cnn-step", "all", "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }

    /// <summary>The `cnn-infer` scenario (--shapes: any of resnet18, mobilenet_v2, googlenet, densenet121).
    /// Without PyTorch there is no exported model, so only the zoo model runs.</summary>
    public static int Infer(Options o)
    {
        var names = Select(o.Shapes, [.. Models.Keys]);
        using var torch = o.PyTorch ? PyTorch.Start("cnn_infer.py", o.Threads) : null;
        var folder = Directory.CreateTempSubdirectory("dendrite-cnn-infer-");
        var load = new Report.Load();
        try
        {
            foreach (var name in names) InferModel(o, name, torch, folder.FullName);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
        Report.Emit("cnn-infer", "all", "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }

    private static void InferModel(Options o, string name, PyTorch? torch, string folder)
    {
        Generator.ManualSeed(0);
        var model = Models[name]().Eval();
        var layer = (ILayer)model;
        OnnxModel? imported = null;
        InferenceSession? session = null;
        if (torch is not null)
        {
            torch.Request($"export {name} {folder}", "bytes");
            string path = Path.Combine(folder, name + ".onnx");
            imported = OnnxModel.Load(path);
            using var options = new SessionOptions
            {
                IntraOpNumThreads = o.Threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            session = new InferenceSession(path, options);
        }
        try
        {
            foreach (int batch in new[] { 1, 8 })
            {
                var x = Tensor.Randn([batch, 3, 224, 224], new Generator(1));
                float[] pixels = x.ToArray<float>();
                using var ortInput = OrtValue.CreateTensorValueFromMemory(pixels, [batch, 3, 224, 224]);
                using var runOptions = new RunOptions();
                string[] inputNames = session is null ? [] : [session.InputMetadata.Keys.First()];
                string[] outputNames = session is null ? [] : [session.OutputMetadata.Keys.First()];

                void Zoo()
                {
                    using var scope = TensorScope.Begin();
                    using var _ = Autograd.NoGrad();
                    layer.Call(x);
                }

                void Imported()
                {
                    using var scope = TensorScope.Begin();
                    imported!.Run([x]);
                }

                void Runtime()
                {
                    using var outs = session!.Run(runOptions, inputNames, [ortInput], outputNames);
                }

                var impls = new List<(string Impl, Action Call)> { ("dendrite", Zoo) };
                if (imported is not null && session is not null)
                {
                    impls.Add(("dendrite-onnx", Imported));
                    impls.Add(("onnxruntime", Runtime));
                    CheckAgreement(name, batch, o.Threads, imported, session, x, ortInput, inputNames, outputNames,
                        runOptions);
                }
                MeasureAll(o, name, batch, torch, impls);
            }
        }
        finally
        {
            session?.Dispose();
        }
    }

    // One untimed block per implementation, then rounds in which every implementation (and PyTorch) times one block.
    private static void MeasureAll(Options o, string name, int batch, PyTorch? torch,
        List<(string Impl, Action Call)> impls)
    {
        foreach (var (_, call) in impls) Report.TimeBlock(call, o.MinTime);
        var times = impls.Select(i => (i.Impl, new List<double>())).ToList();
        var theirs = new List<double>();
        for (int r = 0; r < o.Rounds; r++)
        {
            for (int i = 0; i < impls.Count; i++) times[i].Item2.Add(Report.TimeBlock(impls[i].Call, o.MinTime));
            if (torch is not null)
                theirs.Add(torch.Request(string.Create(CultureInfo.InvariantCulture,
                    $"time {name} {batch} {o.MinTime}"), "seconds"));
        }
        EmitTimes("cnn-infer", name, $"b{batch}", o.Threads, [.. times, ("pytorch", theirs)]);
    }

    // The importer's logits against ONNX Runtime's on the same file and input: the largest difference relative to
    // the largest logit, in millionths, so that a fold or fusion that changed the numbers shows in the output.
    private static void CheckAgreement(string name, int batch, int threads, OnnxModel imported,
        InferenceSession session, Tensor x, OrtValue ortInput, string[] inputNames, string[] outputNames,
        RunOptions runOptions)
    {
        float[] mine = imported.Run([x])[0].ToArray<float>();
        using var outs = session.Run(runOptions, inputNames, [ortInput], outputNames);
        var theirs = outs[0].GetTensorDataAsSpan<float>();
        double diff = 0, scale = 1e-12;
        for (int i = 0; i < mine.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(mine[i] - theirs[i]));
            scale = Math.Max(scale, Math.Abs(theirs[i]));
        }
        Report.Emit("cnn-infer", name, $"b{batch}", "dendrite-onnx", threads, "rel_diff_vs_onnxruntime",
            diff / scale * 1e6, "ppm");
    }

    // ms per call for every implementation, then each one's ratio to PyTorch (PyTorch's time over its own).
    private static void EmitTimes(string scenario, string name, string mode, int threads,
        params (string Impl, List<double> Seconds)[] sides)
    {
        var torch = sides.FirstOrDefault(s => s.Impl == "pytorch").Seconds;
        foreach (var (impl, seconds) in sides)
        {
            if (seconds.Count == 0) continue;
            Report.Emit(scenario, name, mode, impl, threads, "ms_per_call", Report.Median(seconds) * 1e3, "ms");
        }
        if (torch is null || torch.Count == 0) return;
        foreach (var (impl, seconds) in sides)
        {
            if (impl == "pytorch" || seconds.Count == 0) continue;
            Report.Emit(scenario, name, mode, impl, threads, "ratio_vs_pytorch",
                Report.Median(torch) / Report.Median(seconds), "x");
        }
    }

    private static List<string> Select(string? shapes, string[] all)
    {
        if (shapes is null) return [.. all];
        var picked = new List<string>();
        foreach (var name in shapes.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!all.Contains(name))
                throw new FormatException($"--shapes: '{name}' is not one of {string.Join(", ", all)}");
            picked.Add(name);
        }
        return picked;
    }
}
