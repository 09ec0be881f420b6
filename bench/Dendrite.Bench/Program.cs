using Dendrite.Bench;

// dotnet run -c Release --project bench/Dendrite.Bench -- SCENARIO [--threads N] [--rounds R] [--min-time S]
//     [--shapes LIST] [--no-pytorch] [--epochs E] [--kernel NAME (conv-ops: force one convolution kernel)]
// Prints one JSON line per measurement (see bench/README.md).
var scenarios = new Dictionary<string, Func<Options, int>>
{
    ["mlp-epoch"] = TrainScenario.Mlp,
    ["lenet-epoch"] = TrainScenario.LeNet,
    ["cnn-step"] = CnnScenario.Step,
    ["cnn-infer"] = CnnScenario.Infer,
    ["conv"] = ConvScenario.Run,
    ["linalg"] = LinalgScenario.Run,
    ["lstm"] = RnnScenario.Lstm,
    ["gru"] = RnnScenario.Gru,
    ["gpt"] = GptScenario.Run,
    ["gpt-attention"] = AttentionScenario.Run,
    ["dcgan"] = DcganScenario.Run,
};
string[] kernelScenarios = ["gemm", "peak", "conv-ops"];
if (args.Length > 0 && kernelScenarios.Contains(args[0]))
{
    // These time Core's internal kernels one by one; that bench compiles the kernels into itself.
    Console.Error.WriteLine($"{args[0]} times single kernels: dotnet run -c Release --project bench/Dendrite.Bench.Kernels " +
        $"-- {string.Join(' ', args)}");
    return 2;
}
return BenchMain.Run("Dendrite.Bench", args, scenarios);
