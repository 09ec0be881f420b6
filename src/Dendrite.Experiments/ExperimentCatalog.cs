using System.Reflection;

namespace Dendrite.Experiments;

/// <summary>Every experiment of the course, and the runner.</summary>
public static class ExperimentCatalog
{
    private static readonly Lazy<IReadOnlyList<Experiment>> all = new(Discover);

    /// <summary>Every experiment, ordered by topic then name.</summary>
    public static IReadOnlyList<Experiment> All => all.Value;

    /// <summary>The experiment called <paramref name="name"/>; the error lists the known names.</summary>
    public static Experiment Find(string name) =>
        All.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException(
            $"no experiment named '{name}'; known: {string.Join(", ", All.Select(e => e.Name))} (dendrite experiment list)");

    /// <summary>Runs an experiment into <c>OutputRoot/NAME/</c>, replacing an earlier run of it there, and returns
    /// the finished context (tables, figures, findings). A folder that exists but holds no earlier report is left
    /// alone and the run refuses, so a user's folder is never emptied.</summary>
    public static ExperimentContext Run(string name, ExperimentOptions? options = null)
    {
        options ??= new ExperimentOptions();
        var experiment = Find(name);
        string dir = Path.GetFullPath(Path.Combine(options.OutputRoot, experiment.Name));
        if (Directory.Exists(dir))
        {
            bool ours = File.Exists(Path.Combine(dir, "report.md")) || !Directory.EnumerateFileSystemEntries(dir).Any();
            if (!ours)
                throw new IOException($"experiment {name}: {dir} exists and holds no report.md of an earlier run; move it or choose --output");
            Directory.Delete(dir, recursive: true);
        }
        Directory.CreateDirectory(dir);
        var context = new ExperimentContext(experiment, dir, options);
        // Layers initialise from the thread's default generator: seeding it makes the whole run reproducible.
        Generator.ManualSeed(unchecked((ulong)options.Seed));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        experiment.Run(context);
        context.Finish(clock.Elapsed);
        return context;
    }

    private static List<Experiment> Discover()
    {
        var found = typeof(Experiment).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Experiment)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (Experiment)Activator.CreateInstance(t)!)
            .OrderBy(e => e.Topic, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        var dup = found.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new InvalidOperationException($"two experiments are named '{dup.Key}': {string.Join(", ", dup.Select(e => e.GetType().FullName))}");
        return found;
    }
}
