using System.Globalization;

namespace Dendrite.Data;

/// <summary>A series: its name, the time of each value as written in the source ("1700", "1958-03-29", "1949-01",
/// "1959Q1") and the values (NaN where the source has none).</summary>
public sealed record TimeSeries(string Name, IReadOnlyList<string> Index, double[] Values)
{
    /// <summary>The values as a float32 tensor (N).</summary>
    public Tensor ToTensor() => Tensor.From(Values.Select(v => (float)v).ToArray());

    internal static double Parse(string path, int line, string column, string field)
    {
        if (field.Length == 0 || field == "NA") return double.NaN;
        return double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw new DataFormatException($"{path}: line {line}, field {column}: '{field}' is not a number");
    }
}

/// <summary>
/// Series that statsmodels ships as plain CSV (Debian's <c>python3-statsmodels</c>,
/// <c>statsmodels/datasets/NAME/NAME.csv</c>), read without Python: yearly sunspot activity 1700–2008, weekly CO2 at
/// Mauna Loa 1958–2001 (with gaps), the Nile's yearly flow 1871–1970, monthly El Niño sea-surface temperature
/// 1950–2010, and the quarterly US macroeconomic table 1959–2009. Install with
/// <c>dendrite data install statsmodels</c>.
/// </summary>
public static class StatsmodelsSeries
{
    /// <summary>The series <see cref="Load"/> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sunspots", "co2", "nile", "elnino"];

    /// <summary>The <c>statsmodels/datasets</c> folder, or null when the package is absent.</summary>
    public static string? Find() =>
        DataHome.PythonPackageFile(Path.Combine("statsmodels", "datasets", "sunspots", "sunspots.csv")) is { } p
            ? Path.GetDirectoryName(Path.GetDirectoryName(p))
            : null;

    /// <summary>One of <see cref="Names"/>: sunspots (index year), co2 (date yyyy-mm-dd), nile (year), elnino
    /// (month yyyy-mm, the table's twelve columns a year laid end to end).</summary>
    public static TimeSeries Load(string name)
    {
        var table = Table(name);
        var path = table.Source;
        switch (name)
        {
            case "sunspots":
            case "nile":
                return new TimeSeries(name, table.Rows.Select(r => r[0]).ToList(),
                    table.Rows.Select((r, i) => TimeSeries.Parse(path, i + 2, table.Header[1], r[1])).ToArray());
            case "co2":
                return new TimeSeries(name,
                    table.Rows.Select(r => r[0].Length == 8 ? $"{r[0][..4]}-{r[0][4..6]}-{r[0][6..]}" : r[0]).ToList(),
                    table.Rows.Select((r, i) => TimeSeries.Parse(path, i + 2, "co2", r[1])).ToArray());
            default:
                var index = new List<string>();
                var values = new List<double>();
                for (int i = 0; i < table.Rows.Count; i++)
                {
                    var r = table.Rows[i];
                    for (int m = 1; m <= 12; m++)
                    {
                        index.Add($"{r[0]}-{m:00}");
                        values.Add(TimeSeries.Parse(path, i + 2, table.Header[m], r[m]));
                    }
                }
                return new TimeSeries(name, index, values.ToArray());
        }
    }

    /// <summary>The columns of the quarterly US macro table other than year and quarter (realgdp, realcons, …).
    /// </summary>
    public static IReadOnlyList<string> MacroColumns() => Table("macrodata").Header.Skip(2).ToList();

    /// <summary>A column of the US macro table (see <see cref="MacroColumns"/>), indexed "1959Q1" ….</summary>
    public static TimeSeries Macro(string column)
    {
        var table = Table("macrodata");
        int c = table.Column(column);
        return new TimeSeries(column,
            table.Rows.Select(r => $"{TrimYear(r[0])}Q{r[1].Split('.')[0]}").ToList(),
            table.Rows.Select((r, i) => TimeSeries.Parse(table.Source, i + 2, column, r[c])).ToArray());
    }

    private static string TrimYear(string year) => year.Split('.')[0];

    private static CsvTable Table(string name)
    {
        if (!Names.Contains(name) && name != "macrodata")
            throw new ArgumentException(
                $"StatsmodelsSeries: unknown series '{name}' (one of {string.Join(", ", Names)}, or Macro(column))");
        var folder = Find() ?? throw DatasetCatalog.Get("statsmodels").Missing(
            "statsmodels/datasets under /usr/lib/python3*/dist-packages");
        return CsvTable.Load(Path.Combine(folder, name, name + ".csv"));
    }
}

/// <summary>
/// Box &amp; Jenkins' monthly totals of international airline passengers, 1949–1960 (thousands; R's
/// <c>AirPassengers</c>, Debian's <c>r-base-core</c>), written once to the cache by
/// <c>dendrite data install air-passengers</c> as CSV (time as a decimal year, value).
/// </summary>
public static class AirPassengers
{
    /// <summary>Where the install writes the CSV.</summary>
    public static string CachePath => Path.Combine(DataHome.Folder("air-passengers"), "AirPassengers.csv");

    /// <summary>The CSV, or null when it has not been written.</summary>
    public static string? Find() => File.Exists(CachePath) ? CachePath : null;

    /// <summary>The 144 months, indexed "1949-01" … "1960-12".</summary>
    public static TimeSeries Load(string? path = null)
    {
        path ??= Find() ?? throw DatasetCatalog.Get("air-passengers").Missing(CachePath);
        var table = CsvTable.Load(path);
        int time = table.Column("time"), value = table.Column("value");
        var index = new List<string>();
        var values = new double[table.Rows.Count];
        for (int i = 0; i < table.Rows.Count; i++)
        {
            double t = TimeSeries.Parse(path, i + 2, "time", table.Rows[i][time]);
            int year = (int)Math.Floor(t + 1e-6);
            int month = (int)Math.Round((t - year) * 12) + 1;
            index.Add($"{year}-{month:00}");
            values[i] = TimeSeries.Parse(path, i + 2, "value", table.Rows[i][value]);
        }
        return new TimeSeries("AirPassengers", index, values);
    }
}
