using Dendrite.Bench;

// dotnet run -c Release --project bench/Dendrite.Bench.Kernels -- SCENARIO [--threads N] [--rounds R] [--min-time S]
//     [--shapes LIST] [--no-pytorch] [--kernel NAME (conv-ops: force one convolution kernel)]
// Prints one JSON line per measurement (see bench/README.md).
var scenarios = new Dictionary<string, Func<Options, int>>
{
    ["gemm"] = GemmScenario.Run,
    ["peak"] = PeakScenario.Run,
    ["conv-ops"] = ConvOpsScenario.Run,
};
return BenchMain.Run("Dendrite.Bench.Kernels", args, scenarios);
