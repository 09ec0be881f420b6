using Dendrite.Data;

namespace Dendrite.Tests;

public class CsvTests
{
    private const string Iris = "sepal,petal,\"species, name\"\n5.1,1.4,setosa\n7.0,4.7,versicolor\r\n6.3,NA,\"virg\"\"inica\"\n";

    [Fact]
    public void Parse_QuotesSeparatorsAndMissingValues()
    {
        var t = CsvTable.Parse("iris.csv", Iris);
        Assert.Equal(["sepal", "petal", "species, name"], t.Header);
        Assert.Equal(3, t.Rows.Count);
        Assert.Equal("virg\"inica", t.Rows[2][2]);
        var x = t.ToTensor("sepal", "petal");
        Assert.Equal([3, 2], x.Shape.ToArray());
        Assert.Equal(7.0f, (float)x[1, 0]);
        Assert.True(double.IsNaN(x[2, 1]));
        var (labels, classes) = t.ToLabels("species, name");
        Assert.Equal(["setosa", "versicolor", "virg\"inica"], classes);
        Assert.Equal([0L, 1, 2], labels.ToArray<long>());
    }

    [Fact]
    public void Parse_QuotedLineBreakAndNoHeader()
    {
        var t = CsvTable.Parse("x.csv", "1,\"a\nb\"\n2,c", hasHeader: false);
        Assert.Equal(["Column1", "Column2"], t.Header);
        Assert.Equal("a\nb", t.Rows[0][1]);
    }

    [Fact]
    public void Errors_NameSourceLineAndColumn()
    {
        var e = Assert.Throws<DataFormatException>(() => CsvTable.Parse("bad.csv", "a,b\n1,2\n3\n"));
        Assert.Contains("bad.csv: line 3: 1 fields, the header has 2", e.Message);
        e = Assert.Throws<DataFormatException>(() => CsvTable.Parse("bad.csv", "a,b\n1,x\n").ToTensor());
        Assert.Contains("column 'b': 'x' is not a number", e.Message);
        e = Assert.Throws<DataFormatException>(() => CsvTable.Parse("bad.csv", "a\n\"open\n"));
        Assert.Contains("not closed", e.Message);
        Assert.Throws<ArgumentException>(() => CsvTable.Parse("t.csv", "a\n1\n").Column("z"));
    }

    [Fact]
    public void Standardizer_UsesTrainingStatistics()
    {
        var x = Tensor.From([1f, 10, 3, 10, 5, 10], 3, 2);
        var s = Standardizer.Fit(x);
        var z = s.Transform(x);
        Assert.Equal(0, z.Mean([0]).ToFloatArray()[0], 5);
        Assert.Equal(1, z.Var([0], correction: 0).ToFloatArray()[0], 5);
        Assert.Equal(0, z.ToFloatArray()[1], 5); // constant column: σ taken as 1
        Assert.Equal(x.ToFloatArray(), s.Inverse(z).ToFloatArray());
        var m = MinMaxScaler.Fit(x);
        Assert.Equal([0f, 0, 0.5f, 0, 1, 0], m.Transform(x).ToFloatArray());
    }

    [Fact]
    public void Split_PartitionsWithoutOverlap()
    {
        var x = Tensor.Arange(100).Reshape(100, 1);
        var y = Tensor.Arange(100, DType.Int64);
        var parts = Split.Random(x, y, [0.7, 0.2, 0.1], new Generator(5));
        Assert.Equal([70, 20, 10], parts.Select(p => p.X.Size(0)));
        var all = parts.SelectMany(p => p.Y.ToArray<long>()).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), all);
        Assert.Equal(parts[1].X.ToFloatArray(), parts[1].Y.To(DType.Float32).ToFloatArray());
        Assert.Throws<ArgumentException>(() => Split.Random(x, y, [0.8, 0.3]));
    }
}
