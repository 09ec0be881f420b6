using System.CommandLine;
using Dendrite.Experiments;

namespace Dendrite.Cli;

/// <summary><c>dendrite experiment list</c> and <c>dendrite experiment NAME [--quick] [--seed S]</c>.</summary>
internal static class ExperimentCommands
{
    public static void Register(RootCommand root)
    {
        var name = new Argument<string>("name") { Description = "experiment to run (see: dendrite experiment list)" };
        var quick = new Option<bool>("--quick") { Description = "tiny data and few steps: seconds, to check it runs" };
        var seed = new Option<int>("--seed") { Description = "seed of every generator of the run", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--output")
        {
            Description = "folder under which NAME/ is written",
            DefaultValueFactory = _ => "runs",
        };
        var cmd = new Command("experiment", "run one of the course's experiments; writes runs/NAME/report.md, figures and CSV");
        cmd.Arguments.Add(name);
        cmd.Options.Add(quick);
        cmd.Options.Add(seed);
        cmd.Options.Add(output);
        cmd.SetAction(parse => Run(parse.GetValue(name)!, parse.GetValue(quick), parse.GetValue(seed), parse.GetValue(output)!));
        root.Subcommands.Add(cmd);
    }

    private static int Run(string name, bool quick, int seed, string output)
    {
        if (name == "list")
        {
            foreach (var group in ExperimentCatalog.All.GroupBy(e => e.Topic))
            {
                Console.WriteLine(group.Key);
                foreach (var e in group) Console.WriteLine($"  {e.Name,-28} {e.Summary}");
            }
            return 0;
        }
        try
        {
            var context = ExperimentCatalog.Run(name, new ExperimentOptions(output, quick, seed, Console.Out));
            Console.WriteLine();
            Console.WriteLine($"wrote {Path.Combine(context.Directory, "report.md")} ({context.Figures.Count} figures, " +
                $"{context.Tables.Count} tables)");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
