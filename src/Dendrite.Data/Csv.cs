using System.Globalization;
using System.Text;

namespace Dendrite.Data;

/// <summary>A table read from a CSV file: the header and the rows as strings, with helpers that turn columns into
/// tensors.</summary>
public sealed class CsvTable
{
    private readonly int[] rowLines;

    private CsvTable(string source, string[] header, List<string[]> rows, int[] rowLines)
    {
        Source = source;
        Header = header;
        Rows = rows;
        this.rowLines = rowLines;
    }

    /// <summary>The most fields one record may have unless the caller allows more.</summary>
    public const int DefaultMaxColumns = 1 << 20;

    /// <summary>The default ceiling on the memory the parsed table may take (512 MiB, estimated as 8 bytes per
    /// field plus the characters and object of each non-empty one).</summary>
    public const long DefaultMaxBytes = 512L << 20;

    /// <summary>Where the table came from (used in errors).</summary>
    public string Source { get; }

    /// <summary>Column names (Column1… when the file has no header).</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Data rows, each with one field per column.</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>Reads a CSV file (RFC 4180: quoted fields may hold separators, quotes doubled, line breaks).
    /// A record of more than <paramref name="maxColumns"/> fields, or a table past <paramref name="maxBytes"/>,
    /// fails with a <see cref="DataFormatException"/> naming the line.</summary>
    public static CsvTable Load(string path, char separator = ',', bool hasHeader = true,
        int maxColumns = DefaultMaxColumns, long maxBytes = DefaultMaxBytes) =>
        Parse(path, File.ReadAllText(path), separator, hasHeader, maxColumns, maxBytes);

    /// <summary>Parses CSV text; <paramref name="source"/> names it in errors. Limits as in
    /// <see cref="Load"/>.</summary>
    public static CsvTable Parse(string source, string text, char separator = ',', bool hasHeader = true,
        int maxColumns = DefaultMaxColumns, long maxBytes = DefaultMaxBytes)
    {
        var records = new List<(int Line, string[] Fields)>();
        var field = new StringBuilder();
        var fields = new List<string>();
        int line = 1, recordLine = 1;
        bool quoted = false, any = false;
        long bytes = 0;
        // Each field costs its reference, and a non-empty one its string: counted as it is cut, so a line of
        // commas or a huge table fails at the line that passes the limit instead of exhausting memory.
        void Cut()
        {
            if (fields.Count >= maxColumns)
                throw new DataFormatException($"{source}: line {recordLine}: more than {maxColumns} fields " +
                    "(the maxColumns argument)");
            bytes += 8 + (field.Length == 0 ? 0 : 24 + 2L * field.Length);
            if (bytes > maxBytes)
                throw new DataFormatException($"{source}: line {recordLine}: the table passes {maxBytes:N0} bytes " +
                    "(the maxBytes argument)");
            fields.Add(field.Length == 0 ? "" : field.ToString());
            field.Clear();
        }
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            if (c == '"' && field.Length == 0)
            {
                quoted = true;
                any = true;
            }
            else if (c == separator)
            {
                Cut();
                any = true;
            }
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                if (any || field.Length > 0)
                {
                    Cut();
                    records.Add((recordLine, fields.ToArray()));
                }
                fields.Clear();
                field.Clear();
                any = false;
                line++;
                recordLine = line;
            }
            else
            {
                field.Append(c);
                any = true;
            }
        }
        if (quoted) throw new DataFormatException($"{source}: line {recordLine}: quoted field is not closed");
        if (any || field.Length > 0)
        {
            Cut();
            records.Add((recordLine, fields.ToArray()));
        }
        if (records.Count == 0) throw new DataFormatException($"{source}: no rows");
        string[] header = hasHeader
            ? records[0].Fields
            : Enumerable.Range(1, records[0].Fields.Length).Select(i => $"Column{i}").ToArray();
        var rows = new List<string[]>();
        var lines = new List<int>();
        foreach (var (ln, f) in records.Skip(hasHeader ? 1 : 0))
        {
            if (f.Length != header.Length)
                throw new DataFormatException($"{source}: line {ln}: {f.Length} fields, the header has {header.Length}");
            rows.Add(f);
            lines.Add(ln);
        }
        return new CsvTable(source, header, rows, [.. lines]);
    }

    /// <summary>Index of the named column.</summary>
    public int Column(string name)
    {
        int i = Array.IndexOf(Header.ToArray(), name);
        return i >= 0 ? i : throw new ArgumentException($"{Source}: no column '{name}'; columns: {string.Join(", ", Header)}");
    }

    /// <summary>The named columns (all when none are named) as a float32 matrix (rows × columns). Empty fields and
    /// NA/NaN become NaN; anything else that is not a number is an error naming line and column.</summary>
    public Tensor ToTensor(params string[] columns)
    {
        var idx = columns.Length == 0 ? Enumerable.Range(0, Header.Count).ToArray() : columns.Select(Column).ToArray();
        var v = new float[Rows.Count * idx.Length];
        for (int r = 0; r < Rows.Count; r++)
        {
            for (int c = 0; c < idx.Length; c++) v[r * idx.Length + c] = ParseNumber(Rows[r][idx[c]], r, idx[c]);
        }
        return Tensor.From(v, Rows.Count, idx.Length);
    }

    /// <summary>A column of category labels as Int64 class indices, with the sorted class names.</summary>
    public (Tensor Labels, string[] Classes) ToLabels(string column)
    {
        int c = Column(column);
        var classes = Rows.Select(r => r[c]).Distinct().Order(StringComparer.Ordinal).ToArray();
        var map = classes.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i);
        return (Tensor.From(Rows.Select(r => map[r[c]]).ToArray()), classes);
    }

    private float ParseNumber(string s, int row, int col)
    {
        var t = s.Trim();
        if (t.Length == 0 || t is "NA" or "NaN" or "nan" or "N/A") return float.NaN;
        string where = $"{Source}: line {rowLines[row]} (row {row + 1}), column '{Header[col]}'";
        if (float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
        {
            // .NET parses 1e39 as +∞: only a written infinity may become one.
            if (float.IsInfinity(v) && !t.TrimStart('+', '-').StartsWith("Infinity", StringComparison.OrdinalIgnoreCase)
                && !t.TrimStart('+', '-').StartsWith('∞'))
                throw new DataFormatException($"{where}: '{s}' is outside the float32 range (±3.4e38)");
            return v;
        }
        throw new DataFormatException($"{where}: '{s}' is not a number");
    }
}

/// <summary>Per-feature standardisation z = (x - μ) / σ with statistics taken from training data only.</summary>
public sealed class Standardizer
{
    private Standardizer(Tensor mean, Tensor std)
    {
        Mean = mean;
        Std = std;
    }

    /// <summary>μ per feature (shape [1, F]).</summary>
    public Tensor Mean { get; }

    /// <summary>σ per feature (shape [1, F]); features with σ = 0 use 1.</summary>
    public Tensor Std { get; }

    /// <summary>Statistics of the columns of x (N, F) over the rows (population standard deviation).</summary>
    public static Standardizer Fit(Tensor x)
    {
        using var _ = Autograd.NoGrad();
        var mean = x.Mean([0], keepDim: true);
        var std = x.Var([0], keepDim: true, correction: 0).Sqrt();
        std = Tensor.Where(std.Gt(0), std, Tensor.OnesLike(std));
        return new Standardizer(mean, std);
    }

    /// <summary>(x - μ) / σ.</summary>
    public Tensor Transform(Tensor x) => (x - Mean) / Std;

    /// <summary>z·σ + μ.</summary>
    public Tensor Inverse(Tensor z) => z * Std + Mean;
}

/// <summary>Min–max normalisation to [0, 1] per feature, from training data only.</summary>
public sealed class MinMaxScaler
{
    private MinMaxScaler(Tensor min, Tensor range)
    {
        Min = min;
        Range = range;
    }

    /// <summary>Per-feature minimum.</summary>
    public Tensor Min { get; }

    /// <summary>Per-feature max - min (1 where constant).</summary>
    public Tensor Range { get; }

    /// <summary>Statistics of the columns of x (N, F).</summary>
    public static MinMaxScaler Fit(Tensor x)
    {
        using var _ = Autograd.NoGrad();
        var min = x.Min([0], keepDim: true);
        var range = x.Max([0], keepDim: true) - min;
        return new MinMaxScaler(min, Tensor.Where(range.Gt(0), range, Tensor.OnesLike(range)));
    }

    /// <summary>(x - min) / (max - min).</summary>
    public Tensor Transform(Tensor x) => (x - Min) / Range;

    /// <summary>y·(max - min) + min.</summary>
    public Tensor Inverse(Tensor y) => y * Range + Min;
}

/// <summary>Splitting examples into training, validation and test sets.</summary>
public static class Split
{
    /// <summary>Shuffles the examples (first dimension) with a seeded generator and cuts them into parts of the given
    /// fractions (which must add up to at most 1; the remainder goes to the last part).</summary>
    public static (Tensor X, Tensor Y)[] Random(Tensor x, Tensor y, double[] fractions, Generator? generator = null)
    {
        int n = x.Size(0);
        if (y.Size(0) != n) throw new ArgumentException($"Split: {n} inputs but {y.Size(0)} targets");
        if (fractions.Any(f => f < 0) || fractions.Sum() > 1 + 1e-9)
            throw new ArgumentException($"Split: fractions [{string.Join(", ", fractions)}] must be non-negative and add up to at most 1");
        var order = Tensor.Randperm(n, generator ?? Generator.Default);
        var parts = new (Tensor, Tensor)[fractions.Length];
        int start = 0;
        for (int i = 0; i < fractions.Length; i++)
        {
            int len = i == fractions.Length - 1 ? n - start : (int)Math.Round(fractions[i] * n);
            var idx = order.Narrow(0, start, len);
            parts[i] = (x.IndexSelect(0, idx), y.IndexSelect(0, idx));
            start += len;
        }
        return parts;
    }

    /// <summary>Training and validation sets, holding out <paramref name="validationFraction"/> of the examples
    /// (seeded by <paramref name="generator"/>). With <paramref name="stratify"/> (Int64 class labels, one per example,
    /// usually the targets), every class gives the same fraction of its examples to the validation set, so both sets
    /// keep the class proportions of the whole; each set stays shuffled across classes.</summary>
    public static ((Tensor X, Tensor Y) Train, (Tensor X, Tensor Y) Validation) TrainValidation(Tensor x, Tensor y,
        double validationFraction, Generator? generator = null, Tensor? stratify = null)
    {
        if (stratify is null)
        {
            var parts = Random(x, y, [1 - validationFraction, validationFraction], generator);
            return (parts[0], parts[1]);
        }
        var (train, validation) = StratifiedIndices(x.Size(0), Shapes.Format(x.Shape), y, validationFraction,
            generator, stratify);
        (Tensor, Tensor) Take(long[] idx)
        {
            var index = Tensor.From(idx);
            return (x.IndexSelect(0, index), y.IndexSelect(0, index));
        }
        return (Take(train), Take(validation));
    }

    /// <summary><see cref="TrainValidation(Tensor, Tensor, double, Generator?, Tensor?)"/> for compact images: the
    /// same examples go to each side as for a tensor of the same images (same generator, same labels), and the
    /// pixels stay bytes.</summary>
    public static ((ByteImages X, Tensor Y) Train, (ByteImages X, Tensor Y) Validation) TrainValidation(ByteImages x,
        Tensor y, double validationFraction, Generator? generator = null, Tensor? stratify = null)
    {
        long[] train, validation;
        if (stratify is null)
        {
            int n = x.Count;
            if (y.Size(0) != n) throw new ArgumentException($"Split: {n} inputs but {y.Size(0)} targets");
            if (validationFraction is < 0 or > 1 || double.IsNaN(validationFraction))
                throw new ArgumentException($"Split: validation fraction {validationFraction} must be between 0 and 1");
            // As Random does for the fractions [1 - f, f]: the first round((1 - f)·n) of a permutation train.
            var order = Tensor.Randperm(n, generator ?? Generator.Default).ToArray<long>();
            int len = (int)Math.Round((1 - validationFraction) * n);
            (train, validation) = (order[..len], order[len..]);
        }
        else
        {
            (train, validation) = StratifiedIndices(x.Count, Shapes.Format(x.Shape.ToArray()), y, validationFraction,
                generator, stratify);
        }
        (ByteImages, Tensor) Take(long[] idx) => (x.Select(idx), y.IndexSelect(0, Tensor.From(idx)));
        return (Take(train), Take(validation));
    }

    private static (long[] Train, long[] Validation) StratifiedIndices(int n, string xShape, Tensor y,
        double validationFraction, Generator? generator, Tensor stratify)
    {
        if (y.Size(0) != n) throw new ArgumentException($"Split: {n} inputs but {y.Size(0)} targets");
        if (validationFraction is < 0 or > 1 || double.IsNaN(validationFraction))
            throw new ArgumentException($"Split: validation fraction {validationFraction} must be between 0 and 1");
        if (stratify.DType != DType.Int64 || stratify.Rank != 1 || stratify.Size(0) != n)
            throw new ArgumentException($"Split: stratify takes Int64 class labels [{n}], got {stratify.DType} " +
                $"{Shapes.Format(stratify.Shape)} for inputs {xShape}");
        var labels = stratify.ToArray<long>();
        var order = Tensor.Randperm(n, generator ?? Generator.Default).ToArray<long>();
        // Each class gives floor(fraction · count) examples, and the classes with the largest remainders one more,
        // so that the validation set has round(fraction · n) examples in all, as an unstratified split would.
        var counts = new SortedDictionary<long, int>();
        foreach (var l in labels) counts[l] = counts.GetValueOrDefault(l) + 1;
        var quotas = counts.ToDictionary(kv => kv.Key, kv => (int)Math.Floor(validationFraction * kv.Value));
        int missing = (int)Math.Round(validationFraction * n) - quotas.Values.Sum();
        foreach (var c in counts.Keys.OrderByDescending(c => validationFraction * counts[c] - quotas[c]).Take(missing))
            quotas[c]++;
        // Walking the shuffled order, each class's first quota examples go to validation.
        var taken = new Dictionary<long, int>();
        var train = new List<long>(n);
        var validation = new List<long>();
        foreach (var i in order)
        {
            long c = labels[i];
            int t = taken.GetValueOrDefault(c);
            if (t < quotas[c])
            {
                taken[c] = t + 1;
                validation.Add(i);
            }
            else
            {
                train.Add(i);
            }
        }
        return (train.ToArray(), validation.ToArray());
    }
}
