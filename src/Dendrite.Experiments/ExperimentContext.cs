using System.Globalization;
using System.Text;

namespace Dendrite.Experiments;

/// <summary>Options of one run.</summary>
/// <param name="OutputRoot">Folder under which runs/NAME/ is written (default "runs").</param>
/// <param name="Quick">Tiny data and few steps: seconds, for smoke tests.</param>
/// <param name="Seed">Seeds every generator of the run.</param>
/// <param name="Log">Where progress and tables are printed (null: nowhere).</param>
public sealed record ExperimentOptions(string OutputRoot = "runs", bool Quick = false, int Seed = 0, TextWriter? Log = null);

/// <summary>What an experiment writes while it runs: tables (printed, in the report, and as CSV), figures (PNG
/// files named in the report) and findings (sentences of the report's conclusion).</summary>
public sealed class ExperimentContext
{
    private readonly List<ExperimentTable> tables = [];
    private readonly List<(string File, string Caption)> figures = [];
    private readonly List<string> findings = [];
    private readonly List<string> setup = [];
    private readonly TextWriter log;
    private int seedOffset;

    internal ExperimentContext(Experiment experiment, string directory, ExperimentOptions options)
    {
        Experiment = experiment;
        Directory = directory;
        Quick = options.Quick;
        Seed = options.Seed;
        log = options.Log ?? TextWriter.Null;
    }

    /// <summary>The experiment being run.</summary>
    public Experiment Experiment { get; }

    /// <summary>The run's folder (runs/NAME/); it exists while the experiment runs.</summary>
    public string Directory { get; }

    /// <summary>True for the --quick form: tiny data, few steps.</summary>
    public bool Quick { get; }

    /// <summary>The run's seed.</summary>
    public int Seed { get; }

    /// <summary>Tables added so far, in order.</summary>
    public IReadOnlyList<ExperimentTable> Tables => tables;

    /// <summary>Figure files (relative to <see cref="Directory"/>) added so far.</summary>
    public IReadOnlyList<string> Figures => [.. figures.Select(f => f.File)];

    /// <summary>Findings added so far.</summary>
    public IReadOnlyList<string> Findings => findings;

    /// <summary><paramref name="full"/> in the full run, <paramref name="quick"/> in the --quick one.</summary>
    public T Choose<T>(T full, T quick) => Quick ? quick : full;

    /// <summary>A new generator for one part of the run: seeded from the run's seed and the order of the call, so
    /// the parts of a run draw independent, reproducible streams.</summary>
    public Generator NewGenerator() => new(unchecked((ulong)Seed * 1_000_003UL + (ulong)seedOffset++));

    /// <summary>A line of progress (not in the report).</summary>
    public void Log(string line) => log.WriteLine(line);

    /// <summary>A sentence of "What ran" (data, model, hyperparameters).</summary>
    public void Setup(string markdown) => setup.Add(markdown);

    /// <summary>A sentence of the conclusion: what the numbers show.</summary>
    public void Finding(string markdown)
    {
        findings.Add(markdown);
        log.WriteLine(markdown);
    }

    /// <summary>A table with these columns; add rows, it is written to <c>NAME.csv</c>, the report and the log when
    /// the run ends. <paramref name="name"/> is a file stem ("accuracy").</summary>
    public ExperimentTable Table(string name, string title, params string[] columns)
    {
        ExperimentTable.CheckStem(name, "table");
        if (tables.Any(t => t.Name == name))
            throw new ArgumentException($"experiment {Experiment.Name}: table '{name}' added twice");
        var table = new ExperimentTable(name, title, columns);
        tables.Add(table);
        return table;
    }

    /// <summary>The path to write a figure to (<c>NAME.png</c> in the run folder); the report shows it with the
    /// caption. The experiment must write the file (the runner checks it exists).</summary>
    public string Figure(string name, string caption)
    {
        ExperimentTable.CheckStem(name, "figure");
        string file = name + ".png";
        if (figures.Any(f => f.File == file))
            throw new ArgumentException($"experiment {Experiment.Name}: figure '{name}' added twice");
        figures.Add((file, caption));
        return Path.Combine(Directory, file);
    }

    internal void Finish(TimeSpan elapsed)
    {
        foreach (var (file, _) in figures)
        {
            if (!File.Exists(Path.Combine(Directory, file)))
                throw new InvalidOperationException($"experiment {Experiment.Name}: figure {file} was announced but not written");
        }
        foreach (var table in tables)
        {
            AtomicFile.WriteText(Path.Combine(Directory, table.Name + ".csv"), table.ToCsv());
            log.WriteLine();
            log.WriteLine(table.Title);
            log.Write(table.ToText());
        }
        AtomicFile.WriteText(Path.Combine(Directory, "report.md"), Report(elapsed));
    }

    private string Report(TimeSpan elapsed)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# Experiment: {Experiment.Name}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"{Experiment.Summary}\n\n## What the course claims\n\n{Experiment.Claim.Trim()}\n\n");
        sb.Append("## What ran\n\n");
        foreach (var line in setup) sb.Append("- ").Append(line).Append('\n');
        sb.Append(CultureInfo.InvariantCulture,
            $"- `dendrite experiment {Experiment.Name}{(Quick ? " --quick" : "")} --seed {Seed}`: {elapsed.TotalSeconds:F1} s on " +
            $"{Threading.Count} thread(s), {DateTime.UtcNow:yyyy-MM-dd}.\n");
        if (Quick) sb.Append("- The --quick form: tiny data and few steps; its numbers show that the code runs, not the claim.\n");
        sb.Append('\n');
        if (tables.Count > 0 || figures.Count > 0) sb.Append("## Results\n\n");
        foreach (var table in tables)
        {
            sb.Append(CultureInfo.InvariantCulture, $"**{table.Title}** (`{table.Name}.csv`)\n\n");
            sb.Append(table.ToMarkdown()).Append('\n');
        }
        foreach (var (file, caption) in figures)
            sb.Append(CultureInfo.InvariantCulture, $"![{caption}]({file})\n\n*{caption}*\n\n");
        if (findings.Count > 0)
        {
            sb.Append("## What the run shows\n\n");
            foreach (var f in findings) sb.Append("- ").Append(f).Append('\n');
        }
        return sb.ToString();
    }
}
