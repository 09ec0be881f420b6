using System.Globalization;
using Dendrite;
using Dendrite.Bench;

// dotnet run -c Release --project bench/Dendrite.Bench -- SCENARIO [--threads N] [--rounds R] [--min-time S]
//     [--shapes LIST] [--no-pytorch] [--epochs E] [--kernel NAME (conv-ops: force one convolution kernel)]
// Prints one JSON line per measurement (see bench/README.md).
var scenarios = new Dictionary<string, Func<Options, int>>
{
    ["gemm"] = GemmScenario.Run,
    ["peak"] = PeakScenario.Run,
    ["mlp-epoch"] = TrainScenario.Mlp,
    ["conv"] = ConvScenario.Run,
    ["conv-ops"] = ConvOpsScenario.Run,
    ["lstm"] = RnnScenario.Lstm,
    ["gru"] = RnnScenario.Gru,
};
if (args.Length == 0 || !scenarios.ContainsKey(args[0]))
{
    Console.Error.WriteLine($"usage: Dendrite.Bench SCENARIO [--threads N] [--rounds R] [--min-time S] " +
        $"[--shapes LIST] [--no-pytorch] [--epochs E] [--kernel NAME]; scenarios: {string.Join(", ", scenarios.Keys)}");
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

namespace Dendrite.Bench
{
    /// <summary>Command-line options shared by the scenarios.</summary>
    internal sealed record Options(int Threads, int Rounds, double MinTime, string? Shapes, bool PyTorch, int Epochs = 5,
        string? Kernel = null)
    {
        public static Options Parse(string[] args)
        {
            int threads = Threading.Count, rounds = 5;
            double minTime = 0.2;
            string? shapes = null;
            bool pytorch = true;
            int epochs = 5;
            string? kernel = null;
            for (int i = 0; i < args.Length; i++)
            {
                string Next() =>
                    i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]}: missing value");
                switch (args[i])
                {
                    case "--threads": threads = PositiveInt("--threads", Next()); break;
                    case "--rounds": rounds = PositiveInt("--rounds", Next()); break;
                    case "--min-time":
                        if (!double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out minTime)
                            || minTime <= 0)
                            throw new FormatException($"--min-time: '{args[i]}' is not a positive number of seconds");
                        break;
                    case "--shapes": shapes = Next(); break;
                    case "--no-pytorch": pytorch = false; break;
                    case "--epochs": epochs = PositiveInt("--epochs", Next()); break;
                    case "--kernel": kernel = Next(); break;
                    default: throw new FormatException($"unknown option '{args[i]}'");
                }
            }
            return new Options(threads, rounds, minTime, shapes, pytorch, epochs, kernel);
        }

        private static int PositiveInt(string name, string text) =>
            int.TryParse(text, CultureInfo.InvariantCulture, out int v) && v > 0
                ? v
                : throw new FormatException($"{name}: '{text}' is not a positive integer");
    }
}
