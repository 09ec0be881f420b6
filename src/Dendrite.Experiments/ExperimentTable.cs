using System.Globalization;
using System.Text;

namespace Dendrite.Experiments;

/// <summary>A table of an experiment: named columns, rows of numbers or text. Numbers are kept as given and
/// formatted once: invariant culture, up to <see cref="Digits"/> significant digits.</summary>
public sealed class ExperimentTable
{
    private readonly List<object[]> rows = [];

    internal ExperimentTable(string name, string title, string[] columns)
    {
        if (columns.Length == 0) throw new ArgumentException($"table '{name}' has no columns");
        Name = name;
        Title = title;
        Columns = columns;
    }

    /// <summary>File stem of the CSV.</summary>
    public string Name { get; }

    /// <summary>Title shown above the table.</summary>
    public string Title { get; }

    /// <summary>Column headers.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Significant digits for floating-point cells (default 4).</summary>
    public int Digits { get; init; } = 4;

    /// <summary>Rows added so far.</summary>
    public IReadOnlyList<object[]> Rows => rows;

    /// <summary>Adds a row: one value per column (string, integer, floating point, bool).</summary>
    public ExperimentTable Add(params object[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"table '{Name}': a row of {cells.Length} cells for {Columns.Count} columns ({string.Join(", ", Columns)})");
        rows.Add(cells);
        return this;
    }

    /// <summary>The value of a cell formatted as in the files.</summary>
    public string Format(object cell) => cell switch
    {
        double d => FormatDouble(d),
        float f => FormatDouble(f),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        null => "",
        _ => cell.ToString() ?? "",
    };

    private string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        return d.ToString("G" + Digits, CultureInfo.InvariantCulture);
    }

    /// <summary>Comma-separated values with a header line; cells with commas or quotes are quoted.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', Columns.Select(Quote)).Append('\n');
        foreach (var row in rows) sb.AppendJoin(',', row.Select(c => Quote(Format(c)))).Append('\n');
        return sb.ToString();

        static string Quote(string s) =>
            s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }

    /// <summary>A Markdown table.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", Columns).Append(" |\n|");
        foreach (var _ in Columns) sb.Append(" --- |");
        sb.Append('\n');
        foreach (var row in rows)
            sb.Append("| ").AppendJoin(" | ", row.Select(c => Format(c).Replace("|", "\\|", StringComparison.Ordinal))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>Aligned plain text for the console.</summary>
    public string ToText()
    {
        var cells = rows.Select(r => r.Select(Format).ToArray()).ToList();
        var widths = Columns.Select((c, j) => Math.Max(c.Length, cells.Count == 0 ? 0 : cells.Max(r => r[j].Length))).ToArray();
        var sb = new StringBuilder();
        sb.AppendJoin("  ", Columns.Select((c, j) => c.PadRight(widths[j]))).Append('\n');
        foreach (var r in cells) sb.AppendJoin("  ", r.Select((c, j) => c.PadRight(widths[j]))).Append('\n');
        return sb.ToString();
    }

    internal static void CheckStem(string name, string what)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            throw new ArgumentException($"{what} name '{name}' must be lower-case letters, digits and hyphens");
    }
}
