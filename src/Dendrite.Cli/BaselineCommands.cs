using System.CommandLine;
using Dendrite.Data;
using Dendrite.Models.Classic;

namespace Dendrite.Cli;

/// <summary><c>dendrite baseline --dataset fashion-mnist</c>: the classical baselines' accuracy and time.</summary>
internal static class BaselineCommands
{
    public static void Register(RootCommand root)
    {
        var dataset = new Option<string>("--dataset")
        {
            Description = "the data set (fashion-mnist)",
            DefaultValueFactory = _ => "fashion-mnist",
        };
        var data = new Option<string?>("--data")
        {
            Description = "folder of the data (default: the Debian package or " +
            "data/)"
        };
        var train = new Option<int>("--train")
        {
            Description = "use the first N training images (0: " +
            "all)",
            DefaultValueFactory = _ => 0
        };
        var test = new Option<int>("--test")
        {
            Description = "use the first N test images (0: " +
            "all)",
            DefaultValueFactory = _ => 0
        };
        var k = new Option<int>("--k") { Description = "neighbours of k-NN", DefaultValueFactory = _ => 5 };
        var components = new Option<int>("--components")
        {
            Description = "PCA " +
            "components",
            DefaultValueFactory = _ => 50
        };
        var iterations = new Option<int>("--max-iterations")
        {
            Description = "L-BFGS iterations of the logistic regressions",
            DefaultValueFactory = _ => 200,
        };
        var cmd = new Command("baseline", "fit the classical baselines (majority class, logistic regression, k-NN, " +
            "PCA + logistic regression) and print test accuracy and time");
        foreach (var o in new Option[] { dataset, data, train, test, k, components, iterations }) cmd.Options.Add(o);
        cmd.SetAction(parse => Run(parse.GetValue(dataset)!, parse.GetValue(data), parse.GetValue(train),
            parse.GetValue(test), new BaselineOptions(parse.GetValue(k), parse.GetValue(components),
                parse.GetValue(iterations))));
        root.Subcommands.Add(cmd);
    }

    private static int Run(string dataset, string? data, int train, int test, BaselineOptions options)
    {
        if (dataset != "fashion-mnist")
        {
            Console.Error.WriteLine($"error: unknown dataset '{dataset}' (known: fashion-mnist)");
            return 2;
        }
        try
        {
            string folder = FashionMnist.Locate(data);
            var (xTrain, yTrain) = Flatten(FashionMnist.Load(folder, "train"), train);
            var (xTest, yTest) = Flatten(FashionMnist.Load(folder, "t10k"), test);
            Console.WriteLine($"Fashion-MNIST from {folder}: {xTrain.Shape[0]} training and {xTest.Shape[0]} test " +
                $"images " +
                $"of {xTrain.Shape[1]} standardised pixels; {Environment.ProcessorCount} cores");
            Console.WriteLine();
            Console.WriteLine($"{"model",-38} {"accuracy",9} {"fit s",9} {"predict s",10}");
            BaselineSuite.Run(xTrain, yTrain, xTest, yTest, options, r =>
                Console.WriteLine($"{r.Model,-38} {r.Accuracy,9:P2} {r.FitSeconds,9:F2} {r.PredictSeconds,10:F2}"));
            return 0;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or
            DataFormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static (Tensor X, Tensor Y) Flatten((Tensor Images, Tensor Labels) split, int limit)
    {
        int n = limit > 0 ? Math.Min(limit, split.Images.Shape[0]) : split.Images.Shape[0];
        return (split.Images.Narrow(0, 0, n).Reshape(n, -1).Contiguous(), split.Labels.Narrow(0, 0, n).Contiguous());
    }
}
