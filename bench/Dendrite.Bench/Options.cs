using System.Globalization;

namespace Dendrite.Bench;

/// <summary>The entry point both bench programs share: picks the scenario named by the first argument, parses the
/// options, sets the thread count and runs it.</summary>
internal static class BenchMain
{
    public static int Run(string program, string[] args, Dictionary<string, Func<Options, int>> scenarios)
    {
        if (args.Length == 0 || !scenarios.ContainsKey(args[0]))
        {
            Console.Error.WriteLine($"usage: {program} SCENARIO [--threads N] [--rounds R] [--min-time S] " +
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
        Report.Turns.Begin();
        return scenarios[args[0]](options);
    }
}

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
