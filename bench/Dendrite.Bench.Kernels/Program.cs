using Dendrite;
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
if (args.Length == 0 || !scenarios.ContainsKey(args[0]))
{
    Console.Error.WriteLine($"usage: Dendrite.Bench.Kernels SCENARIO [--threads N] [--rounds R] [--min-time S] " +
        $"[--shapes LIST] [--no-pytorch] [--kernel NAME]; scenarios: {string.Join(", ", scenarios.Keys)}");
    return 2;
}
Options options;
try
{
    options = Options.Parse(args[1..]);
}
catch (Exception e) when (e is FormatException or InvalidOperationException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
Threading.Count = options.Threads;
return scenarios[args[0]](options);
