using System.Globalization;
using System.IO.Compression;

namespace Dendrite.Data;

/// <summary>
/// The small tables scikit-learn ships (Debian's <c>python3-sklearn</c>, <c>sklearn/datasets/data/</c>): the 8×8
/// digits (<c>digits.csv.gz</c>, 64 pixels 0–16 and the label per row), and iris, wine and breast cancer (a first
/// line "rows,features,class names…", then the features and the class index per row). Install with
/// <c>dendrite data install digits</c> (or iris, wine, breast-cancer: the same package).
/// </summary>
public static class SklearnData
{
    private static readonly Dictionary<string, string> Files = new()
    {
        ["digits"] = "digits.csv.gz",
        ["iris"] = "iris.csv",
        ["wine"] = "wine_data.csv",
        ["breast-cancer"] = "breast_cancer.csv",
    };

    /// <summary>The file of a catalog dataset (digits, iris, wine, breast-cancer), or null when absent.</summary>
    public static string? Find(string dataset) =>
        DataHome.PythonPackageFile(Path.Combine("sklearn", "datasets", "data", Files[dataset]));

    /// <summary>The 8×8 digits: images float32 (1797, 1, 8, 8) with values 0–16, labels Int64 (1797).</summary>
    public static (Tensor Images, Tensor Labels) Digits(string? path = null)
    {
        path ??= Locate("digits");
        string text;
        using (var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress))
        using (var reader = new StreamReader(gz))
            text = reader.ReadToEnd();
        var table = CsvTable.Parse(path, text, hasHeader: false);
        var pixels = new float[table.Rows.Count * 64];
        var labels = new long[table.Rows.Count];
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            if (row.Length != 65)
                throw new DataFormatException(
                    $"{path}: row {r + 1}: {row.Length} fields, expected 64 pixels and a label");
            for (int j = 0; j < 64; j++) pixels[r * 64 + j] = Number(path, r, j, row[j]);
            labels[r] = (long)Number(path, r, 64, row[64]);
        }
        return (Tensor.From(pixels, [labels.Length, 1, 8, 8]), Tensor.From(labels));
    }

    /// <summary>A classification table (iris, wine, breast-cancer): features float32 (N, F), labels Int64 (N), and
    /// the class names by label.</summary>
    public static (Tensor Features, Tensor Labels, IReadOnlyList<string> Classes) Table(string dataset,
        string? path = null)
    {
        if (!Files.ContainsKey(dataset) || dataset == "digits")
            throw new ArgumentException($"SklearnData.Table: '{dataset}' is not one of iris, wine, breast-cancer");
        path ??= Locate(dataset);
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        var head = lines.Length > 0 ? lines[0].Split(',') : [];
        if (head.Length < 3 || !int.TryParse(head[0], CultureInfo.InvariantCulture, out int n) ||
            !int.TryParse(head[1], CultureInfo.InvariantCulture, out int f))
            throw new DataFormatException($"{path}: line 1: expected \"rows,features,class names…\"");
        var classes = head.Skip(2).Where(c => c.Length > 0).ToArray();
        if (lines.Length - 1 != n)
            throw new DataFormatException($"{path}: line 1 announces {n} rows, the file has {lines.Length - 1}");
        var x = new float[n * f];
        var y = new long[n];
        for (int r = 0; r < n; r++)
        {
            var row = lines[r + 1].Split(',');
            if (row.Length != f + 1)
                throw new DataFormatException(
                    $"{path}: line {r + 2}: {row.Length} fields, expected {f} features and a label");
            for (int j = 0; j < f; j++) x[r * f + j] = Number(path, r + 1, j, row[j]);
            y[r] = (long)Number(path, r + 1, f, row[f]);
            if (y[r] < 0 || y[r] >= classes.Length)
                throw new DataFormatException($"{path}: line {r + 2}: label {y[r]} outside 0..{classes.Length - 1}");
        }
        return (Tensor.From(x, [n, f]), Tensor.From(y), classes);
    }

    private static string Locate(string dataset) =>
        Find(dataset) ?? throw DatasetCatalog.Get(dataset).Missing(
            $"sklearn/datasets/data/{Files[dataset]} under /usr/lib/python3*/dist-packages");

    private static float Number(string path, int row, int column, string field) =>
        float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out float v)
            ? v
            : throw new DataFormatException($"{path}: row {row + 1}, column {column + 1}: '{field}' is not a number");
}
