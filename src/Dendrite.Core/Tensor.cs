using System.Globalization;
using System.Text;

namespace Dendrite;

/// <summary>
/// A dense, row-major n-dimensional array with shape, strides and offset, so that reshape, transpose, slice and
/// expand are views over shared storage. Ops on tensors that require gradients record themselves for
/// reverse-mode differentiation (<see cref="Backward"/>).
/// </summary>
public partial class Tensor
{
    private readonly int[] shape;
    private readonly int[] strides;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        Storage = storage;
        this.shape = shape;
        this.strides = strides;
        Offset = offset;
        Numel = Shapes.Numel(shape);
        DType = storage.DType;
        IsContiguous = ComputeContiguous();
    }

    /// <summary>A tensor sharing <paramref name="source"/>'s storage, shape and strides (for derived types such as
    /// parameters).</summary>
    protected Tensor(Tensor source)
        : this(source.Storage, (int[])source.shape.Clone(), (int[])source.strides.Clone(), source.Offset)
    {
    }

    internal static Tensor Empty(DType dtype, int[] shape, bool clear = false, bool manual = false)
    {
        int n = Shapes.Numel(shape);
        return new Tensor(Storage.Create(dtype, n, clear, manual), shape, Shapes.ContiguousStrides(shape), 0);
    }

    /// <summary>Hands the storage of a tensor made with <c>pooled: true</c> (for example
    /// <see cref="IndexSelect(int, Tensor, bool)"/>) back to the pool now, as a data loader does with a batch once
    /// the next one is in use; reading it, or any view of it, afterwards throws.</summary>
    public void ReleaseStorage()
    {
        if (!Storage.Manual)
            throw new InvalidOperationException(
                $"ReleaseStorage: tensor {Shapes.Format(shape)} was not made with pooled: true; " +
                "its memory is returned by the garbage collector or by its TensorScope");
        Storage.Release();
    }

    /// <summary>The storage this tensor views.</summary>
    public Storage Storage { get; }

    /// <summary>Offset of element [0,…,0] in the storage.</summary>
    public int Offset { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public int Numel { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>Size of every dimension.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Step in the storage, in elements, for each dimension.</summary>
    public ReadOnlySpan<int> Strides => strides;

    /// <summary>True when the elements lie in row-major order without gaps.</summary>
    public bool IsContiguous { get; }

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Size(int axis) => shape[Shapes.Axis("Size", axis, Rank)];

    internal int[] ShapeArray => shape;

    internal int[] StrideArray => strides;

    private bool ComputeContiguous()
    {
        // An empty tensor has no element out of place, whatever its strides (shape [2,0] has strides [1,1]).
        if (Numel == 0) return true;
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue;
            if (strides[i] != acc) return false;
            acc *= shape[i];
        }
        return true;
    }

    /// <summary>The backing array (pooled arrays may be longer than the storage).</summary>
    internal T[] Array<T>() where T : unmanaged => ((Storage<T>)Storage).Array;

    /// <summary>The elements of a contiguous tensor as a span.</summary>
    internal Span<T> Span<T>() where T : unmanaged
    {
        if (!IsContiguous) throw new InvalidOperationException("Span: tensor is not contiguous");
        return new Span<T>(Array<T>(), Offset, Numel);
    }

    /// <summary>The elements of a contiguous tensor as a writable span (no copy). Throws for non-contiguous tensors
    /// or a mismatched element type. Counts as an in-place write (<see cref="Version"/> goes up): a backward that
    /// saved this tensor then refuses to run. Use <see cref="AsReadOnlySpan{T}"/> to read.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (DTypes.Of<T>() != DType)
            throw new InvalidOperationException($"AsSpan: tensor holds {DType}, not {DTypes.Of<T>()}");
        var span = Span<T>();
        Storage.Version++;
        return span;
    }

    /// <summary>The elements of a contiguous tensor as a read-only span (no copy), for kernels of custom ops
    /// (<c>Autograd.Op</c>). Reading does not change <see cref="Version"/>. Call <see cref="Contiguous"/> first for
    /// a view with gaps.</summary>
    public ReadOnlySpan<T> AsReadOnlySpan<T>() where T : unmanaged
    {
        if (DTypes.Of<T>() != DType)
            throw new InvalidOperationException($"AsReadOnlySpan: tensor holds {DType}, not {DTypes.Of<T>()}");
        if (!IsContiguous)
            throw new InvalidOperationException(
                $"AsReadOnlySpan: tensor of shape {Shapes.Format(shape)} is not contiguous; call Contiguous() first");
        return Span<T>();
    }

    /// <summary>How many in-place writes the memory behind this tensor has had (shared by every view of it):
    /// <see cref="Fill"/>, <see cref="CopyFrom"/>, <see cref="AddInPlace"/>, <see cref="MulInPlace"/>, the indexer
    /// and <see cref="AsSpan{T}"/> each add one.</summary>
    public int Version => Storage.Version;

    /// <summary>Copies the elements, in row-major order, into a new array (converting to <typeparamref name="T"/>).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var t = DType == DTypes.Of<T>() ? this : To(DTypes.Of<T>());
        var c = t.Contiguous();
        return c.Span<T>().ToArray();
    }

    /// <summary>Copies the elements as float32, in row-major order.</summary>
    public float[] ToFloatArray() => ToArray<float>();

    /// <summary>The value of a one-element tensor, as a double.</summary>
    public double Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item: tensor of shape {Shapes.Format(shape)} has {Numel} elements, not 1");
        return GetFlat(Offset);
    }

    /// <summary>The element at <paramref name="index"/> (one index per dimension), as a double.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public double this[params int[] index]
    {
        get => GetFlat(FlatIndex(index));
        set => SetFlat(FlatIndex(index), value);
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"index has {index.Length} coordinates, tensor of shape {Shapes.Format(shape)} needs {Rank}");
        int off = Offset;
        for (int i = 0; i < Rank; i++)
        {
            int j = index[i] < 0 ? index[i] + shape[i] : index[i];
            if (j < 0 || j >= shape[i])
                throw new IndexOutOfRangeException($"index {index[i]} is out of range for dimension {i} of size {shape[i]}");
            off += j * strides[i];
        }
        return off;
    }

    internal double GetFlat(int i) => DType switch
    {
        DType.Float32 => Array<float>()[i],
        DType.Float64 => Array<double>()[i],
        DType.Int64 => Array<long>()[i],
        _ => Array<bool>()[i] ? 1 : 0,
    };

    internal void SetFlat(int i, double v)
    {
        Storage.Version++;
        switch (DType)
        {
            case DType.Float32: Array<float>()[i] = (float)v; break;
            case DType.Float64: Array<double>()[i] = v; break;
            case DType.Int64: Array<long>()[i] = (long)v; break;
            default: Array<bool>()[i] = v != 0; break;
        }
    }

    // ------------------------------------------------------------------ creation

    /// <summary>A tensor whose elements are not initialised (whatever the memory held): for outputs a kernel
    /// writes completely, such as those of a custom op.</summary>
    public static Tensor Uninitialized(DType dtype, params ReadOnlySpan<int> shape) => Empty(dtype, shape.ToArray());

    /// <summary>An uninitialised tensor with the shape and type of <paramref name="like"/>.</summary>
    public static Tensor UninitializedLike(Tensor like) => Empty(like.DType, (int[])like.shape.Clone());

    /// <summary>A float32 tensor of zeros.</summary>
    public static Tensor Zeros(params ReadOnlySpan<int> shape) => Empty(DType.Float32, shape.ToArray(), clear: true);

    /// <summary>A tensor of zeros of the given type.</summary>
    public static Tensor Zeros(DType dtype, params ReadOnlySpan<int> shape) => Empty(dtype, shape.ToArray(), clear: true);

    /// <summary>A float32 tensor of ones.</summary>
    public static Tensor Ones(params ReadOnlySpan<int> shape) => Full(1, DType.Float32, shape);

    /// <summary>A tensor of ones of the given type.</summary>
    public static Tensor Ones(DType dtype, params ReadOnlySpan<int> shape) => Full(1, dtype, shape);

    /// <summary>A float32 tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(double value, params ReadOnlySpan<int> shape) => Full(value, DType.Float32, shape);

    /// <summary>A tensor of the given type filled with <paramref name="value"/>.</summary>
    public static Tensor Full(double value, DType dtype, params ReadOnlySpan<int> shape)
    {
        var t = Empty(dtype, shape.ToArray());
        t.Fill(value);
        return t;
    }

    /// <summary>A tensor of zeros with the shape and type of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Empty(like.DType, (int[])like.shape.Clone(), clear: true);

    /// <summary>A tensor of ones with the shape and type of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Full(1, like.DType, like.shape);

    /// <summary>A 0-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full(value, dtype, []);

    /// <summary>A float32 tensor over a copy of <paramref name="data"/>; shape defaults to [data.Length].</summary>
    public static Tensor From(float[] data, params ReadOnlySpan<int> shape) => FromArray(data, shape);

    /// <summary>A float64 tensor over a copy of <paramref name="data"/>.</summary>
    public static Tensor From(double[] data, params ReadOnlySpan<int> shape) => FromArray(data, shape);

    /// <summary>An int64 tensor over a copy of <paramref name="data"/>.</summary>
    public static Tensor From(long[] data, params ReadOnlySpan<int> shape) => FromArray(data, shape);

    /// <summary>A bool tensor over a copy of <paramref name="data"/>.</summary>
    public static Tensor From(bool[] data, params ReadOnlySpan<int> shape) => FromArray(data, shape);

    /// <summary>A float32 matrix from nested arrays (rows of equal length).</summary>
    public static Tensor From(float[][] rows)
    {
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var flat = new float[rows.Length * cols];
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != cols) throw new ArgumentException($"From: row {i} has {rows[i].Length} values, row 0 has {cols}");
            rows[i].CopyTo(flat, i * cols);
        }
        return From(flat, rows.Length, cols);
    }

    private static Tensor FromArray<T>(T[] data, ReadOnlySpan<int> shape) where T : unmanaged
    {
        int[] s = shape.Length == 0 && data.Length != 1 ? [data.Length] : shape.ToArray();
        if (Shapes.Numel(s) != data.Length)
            throw new ArgumentException($"From: {data.Length} values do not fill shape {Shapes.Format(s)}");
        var t = Empty(DTypes.Of<T>(), s);
        data.AsSpan().CopyTo(t.Span<T>());
        return t;
    }

    /// <summary>Values start, start+step, … below end (like torch.arange). Float32 unless dtype says otherwise.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0) throw new ArgumentException("Arange: step must not be zero");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Empty(dtype, [n]);
        for (int i = 0; i < n; i++) t.SetFlat(i, start + i * step);
        return t;
    }

    /// <summary>Values 0, 1, …, end-1.</summary>
    public static Tensor Arange(int end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        if (steps < 0) throw new ArgumentException("Linspace: steps must be non-negative");
        var t = Empty(dtype, [steps]);
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        // Second half counted from the end, as torch does, so the last value is exactly end.
        // A single step is start, as torch.linspace.
        for (int i = 0; i < steps; i++)
            t.SetFlat(i, i < steps / 2 || steps == 1 ? start + i * step : end - (steps - 1 - i) * step);
        return t;
    }

    /// <summary>An n×m matrix with ones on the diagonal.</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        int cols = m ?? n;
        var t = Zeros(dtype, n, cols);
        for (int i = 0; i < Math.Min(n, cols); i++) t.SetFlat(i * cols + i, 1);
        return t;
    }

    /// <summary>Sets every element to <paramref name="value"/> (in place, not recorded by autograd).</summary>
    public Tensor Fill(double value)
    {
        Storage.Version++;
        if (IsContiguous)
        {
            switch (DType)
            {
                case DType.Float32: Span<float>().Fill((float)value); return this;
                case DType.Float64: Span<double>().Fill(value); return this;
                case DType.Int64: Span<long>().Fill((long)value); return this;
                default: Span<bool>().Fill(value != 0); return this;
            }
        }
        CopyFrom(Full(value, DType, []));
        return this;
    }

    // ------------------------------------------------------------------ printing

    /// <summary>NumPy-like text: the values (elided beyond 1000 elements), then shape and type.</summary>
    public override string ToString()
    {
        if (!Storage.IsAlive) return $"tensor(<released>, shape={Shapes.Format(shape)}, dtype={DType})";
        var sb = new StringBuilder("tensor(");
        var c = Contiguous();
        bool summarize = Numel > 1000;
        int width = 0;
        var cells = new List<string>();
        string Cell(int i) => Format(c.GetFlat(c.Offset + i));
        if (Rank == 0)
        {
            sb.Append(Cell(0));
        }
        else
        {
            for (int i = 0; i < Numel; i++)
            {
                if (summarize && !NearEdge(i)) continue;
                width = Math.Max(width, Cell(i).Length);
            }
            AppendDim(sb, c, 0, 0, width, summarize, "tensor(".Length);
        }
        sb.Append($", shape={Shapes.Format(shape)}, dtype={DType}");
        if (GradFn is not null) sb.Append($", grad_fn={GradFn.Name}");
        else if (RequiresGrad) sb.Append(", requires_grad=true");
        return sb.Append(')').ToString();
    }

    private bool NearEdge(int flat)
    {
        int rem = flat;
        for (int d = Rank - 1; d >= 0; d--)
        {
            int i = rem % shape[d];
            rem /= shape[d];
            if (i >= 3 && i < shape[d] - 3) return false;
        }
        return true;
    }

    private void AppendDim(StringBuilder sb, Tensor c, int dim, int flat, int width, bool summarize, int indent)
    {
        sb.Append('[');
        int n = shape[dim];
        int inner = 1;
        for (int d = dim + 1; d < Rank; d++) inner *= shape[d];
        for (int i = 0; i < n; i++)
        {
            if (summarize && n > 6 && i == 3)
            {
                sb.Append(dim == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + dim + 1));
                i = n - 4;
                continue;
            }
            if (dim == Rank - 1)
            {
                sb.Append(Format(c.GetFlat(c.Offset + flat + i)).PadLeft(width));
            }
            else
            {
                AppendDim(sb, c, dim + 1, flat + i * inner, width, summarize, indent);
            }
            if (i < n - 1)
            {
                sb.Append(dim == Rank - 1 ? ", " : "," + new string('\n', Rank - 1 - dim) + new string(' ', indent + dim + 1));
            }
        }
        sb.Append(']');
    }

    private string Format(double v) => DType switch
    {
        DType.Int64 => ((long)v).ToString(CultureInfo.InvariantCulture),
        DType.Bool => v != 0 ? "True" : "False",
        _ when double.IsNaN(v) => "nan",
        _ when double.IsInfinity(v) => v > 0 ? "inf" : "-inf",
        _ => v.ToString("0.0000", CultureInfo.InvariantCulture),
    };
}
