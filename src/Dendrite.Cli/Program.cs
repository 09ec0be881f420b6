using System.CommandLine;
using Dendrite.IO;
using Spectre.Console;

namespace Dendrite.Cli;

/// <summary>The <c>dendrite</c> command line. It parses arguments and prints; the work lives in the
/// libraries.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    /// <summary>The command tree.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Dendrite: a deep-learning framework for .NET");
        var onnx = new Command("onnx", "ONNX model import");
        onnx.Subcommands.Add(ConformanceCommand());
        root.Subcommands.Add(onnx);
        TrainingCommands.Register(root);
        ExperimentCommands.Register(root);
        DataCommands.Register(root);
        BaselineCommands.Register(root);
        InspectCommands.Register(root);
        ZooCommands.Register(root);
        GenerateCommands.Register(root);
        PretrainCommands.Register(root);
        FinetuneCommands.Register(root);
        AutoencoderCommands.Register(root);
        GanCommands.Register(root);
        GanFamilyCommands.Register(root);
        RbmCommands.Register(root);
        AugmentCommands.Register(root);
        return root;
    }

    private static Command ConformanceCommand()
    {
        var filter = new Option<string?>("--filter") { Description = "run only tests whose name contains this" };
        var dir = new Option<string>("--dir")
        {
            Description = "folder of ONNX node tests",
            DefaultValueFactory = _ => OnnxConformance.DefaultDirectory,
        };
        var summary = new Option<bool>("--summary") { Description = "list unsupported features with counts" };
        var cmd = new Command("conformance", "run the ONNX backend node tests and compare outputs");
        cmd.Options.Add(filter);
        cmd.Options.Add(dir);
        cmd.Options.Add(summary);
        cmd.SetAction(parse => RunConformance(parse.GetValue(dir)!, parse.GetValue(filter), parse.GetValue(summary)));
        return cmd;
    }

    private static int RunConformance(string dir, string? filter, bool summary)
    {
        IReadOnlyList<string> tests;
        try
        {
            tests = OnnxConformance.FindTests(dir, filter);
        }
        catch (DirectoryNotFoundException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        int passed = 0, failed = 0, unsupported = 0;
        var missing = new Dictionary<string, int>();
        foreach (var test in tests)
        {
            var r = OnnxConformance.Run(test);
            string color = r.Outcome switch
            {
                ConformanceOutcome.Pass => "green",
                ConformanceOutcome.Fail => "red",
                _ => "yellow",
            };
            Print(r.ToString(), color);
            switch (r.Outcome)
            {
                case ConformanceOutcome.Pass: passed++; break;
                case ConformanceOutcome.Fail: failed++; break;
                default:
                    unsupported++;
                    missing[r.Detail] = missing.GetValueOrDefault(r.Detail) + 1;
                    break;
            }
        }
        if (summary)
        {
            foreach (var (feature, count) in missing.OrderByDescending(p => p.Value).ThenBy(p => p.Key))
                Print($"  {count,4}  {feature}", null);
        }
        Print($"onnx: {passed} passed, {failed} failed, {unsupported} unsupported", failed == 0 ? null : "red");
        return failed == 0 ? 0 : 1;
    }

    // Plain lines when the output goes to a file or pipe (so they can be searched), colored on a terminal.
    private static void Print(string line, string? color)
    {
        if (Console.IsOutputRedirected || color is null)
            Console.WriteLine(line);
        else
            AnsiConsole.MarkupLine($"[{color}]{Markup.Escape(line)}[/]");
    }
}
