namespace Dendrite;

// The bridge between tensors and the factorization routines: a stack of matrices (*, m, n) in row-major float32 or
// float64 is read as float64 column-major arrays (the layout LAPACK and MathNet.Numerics use), one matrix at a time,
// and results are gathered back into row-major tensors of the input's element type. Every routine runs in float64
// whatever the input type, so a float32 result is the float64 one rounded once.
//
// Legend: b = batch index, m = rows, n = columns, cm = column-major array, rm = row-major array.
internal sealed class Batch
{
    private readonly Tensor source;
    private double[]? data;

    /// <summary>Reads <paramref name="a"/> (*, m, n) as float64, after checking it is a floating stack of matrices
    /// (square ones when <paramref name="square"/>).</summary>
    public Batch(string op, Tensor a, bool square)
    {
        if (!a.DType.IsFloating())
            throw new ArgumentException(
                $"{op}: expects a Float32 or Float64 tensor, got {a.DType} {Shapes.Format(a.Shape)}");
        if (a.Rank < 2)
            throw new ArgumentException(
                $"{op}: expects a matrix or a stack of matrices (*, m, n), got {Shapes.Format(a.Shape)}");
        M = a.Size(-2);
        N = a.Size(-1);
        if (square && M != N)
            throw new ArgumentException($"{op}: expects square matrices (*, n, n), got {Shapes.Format(a.Shape)}");
        Op = op;
        Shape = a.Shape.ToArray();
        BatchShape = Shape[..^2];
        Count = Shapes.Numel(BatchShape);
        DType = a.DType;
        source = a.Detach();
    }

    // The float64 copy, made on first use: routines that work in the input's precision never need it.
    private double[] Data
    {
        get
        {
            if (data is null)
            {
                using (Autograd.NoGrad()) data = source.ToArray<double>();
            }
            return data;
        }
    }

    public string Op { get; }

    public int[] Shape { get; }

    public int[] BatchShape { get; }

    /// <summary>Number of matrices.</summary>
    public int Count { get; }

    public int M { get; }

    public int N { get; }

    public DType DType { get; }

    /// <summary>Matrix <paramref name="b"/> as a fresh column-major array.</summary>
    public double[] ColumnMajor(int b)
    {
        var cm = new double[M * N];
        int start = b * M * N;
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++) cm[i + j * M] = Data[start + i * N + j];
        }
        return cm;
    }

    /// <summary>Matrix <paramref name="b"/> in row-major float64, without a copy.</summary>
    public ReadOnlySpan<double> Matrix(int b) => Data.AsSpan(b * M * N, M * N);

    /// <summary>Matrix <paramref name="b"/> in row-major float32 (for the float32 blocked routines).</summary>
    public float[] RowMajorSingle(int b)
    {
        var rm = new float[M * N];
        int start = b * M * N;
        for (int i = 0; i < rm.Length; i++) rm[i] = (float)Data[start + i];
        return rm;
    }

    /// <summary>Matrix <paramref name="b"/> in row-major float64 (for the float64 blocked routines).</summary>
    public double[] RowMajorDouble(int b) => Data.AsSpan(b * M * N, M * N).ToArray();

    /// <summary>A fresh contiguous tensor (*, m, n) of <paramref name="dtype"/> holding the stack, converted from
    /// the input directly (no float64 round trip), for routines that work in place in that precision.</summary>
    public Tensor Fresh(DType dtype)
    {
        using (Autograd.NoGrad()) return Tensor.Empty(dtype, (int[])Shape.Clone()).CopyFrom(source);
    }

    /// <summary>"matrix 3 of [4,5,5]", or "the matrix [5,5]" when there is no batch, for error messages.</summary>
    public string Which(int b) => Count == 1 && BatchShape.Length == 0
        ? $"the matrix {Shapes.Format(Shape)}"
        : $"matrix {b} of {Shapes.Format(Shape)}";

    /// <summary>Copies the leading <paramref name="rows"/> × <paramref name="cols"/> block of a column-major
    /// matrix with <paramref name="ld"/> rows into slot <paramref name="b"/> of a row-major stack.</summary>
    public static void Store(double[] cm, int ld, int rows, int cols, double[] rm, int b)
    {
        int start = b * rows * cols;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) rm[start + i * cols + j] = cm[i + j * ld];
        }
    }

    /// <summary>A tensor of this batch's element type with shape (*, ...<paramref name="tail"/>).</summary>
    public Tensor Result(double[] rm, params int[] tail) => Result(rm, DType, tail);

    /// <summary>A tensor of <paramref name="dtype"/> with shape (*, ...<paramref name="tail"/>).</summary>
    public Tensor Result(double[] rm, DType dtype, params int[] tail)
    {
        var t = Tensor.From(rm, [.. BatchShape, .. tail]);
        return dtype == DType.Float64 ? t : t.To(dtype);
    }
}
