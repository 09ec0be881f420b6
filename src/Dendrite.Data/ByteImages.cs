namespace Dendrite.Data;

/// <summary>
/// Images kept compact: one byte per pixel in memory, turned into float32 only for the examples asked for (a batch).
/// Each byte value maps to a float through a 256-entry table (<see cref="Table"/>), computed once with the same
/// tensor operations a float pipeline would apply, so a batch holds exactly the values the float path gives, bit for
/// bit. Fashion-MNIST's 60,000 training images take 47 MB this way instead of 188 MB as floats.
/// <para>Shapes: the set is (N, C, H, W) (or any (N, ...)); a batch of k examples is float32 (k, C, H, W).</para>
/// </summary>
public sealed class ByteImages
{
    private readonly byte[] pixels;
    private readonly float[] table;
    private readonly int[] shape;
    private readonly int itemSize;
    private Tensor? template;

    /// <summary>Wraps <paramref name="pixels"/> (row-major, first dimension the example) of the given shape;
    /// <paramref name="table"/> (256 entries) gives each byte's float value, the byte itself when absent.</summary>
    public ByteImages(byte[] pixels, int[] shape, float[]? table = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < 1 || shape.Any(d => d < 0))
            throw new ArgumentException($"ByteImages: shape {Shapes.Format(shape)} must have a first (example) " +
                "dimension and no negative sizes");
        long numel = shape.Aggregate(1L, (a, d) => a * d);
        if (numel != pixels.Length)
            throw new ArgumentException(
                $"ByteImages: shape {Shapes.Format(shape)} needs {numel} bytes, got {pixels.Length}");
        if (table is not null && table.Length != 256)
            throw new ArgumentException($"ByteImages: the value table needs 256 entries, got {table.Length}");
        this.pixels = pixels;
        this.shape = (int[])shape.Clone();
        this.table = table ?? Table(divisor: 1);
        itemSize = shape.Skip(1).Aggregate(1, (a, d) => a * d);
    }

    /// <summary>The set's shape, (N, ...).</summary>
    public IReadOnlyList<int> Shape => shape;

    /// <summary>Number of examples (the first dimension).</summary>
    public int Count => shape[0];

    /// <summary>The pixels as stored, one byte each.</summary>
    public ReadOnlySpan<byte> Pixels => pixels;

    /// <summary>The float value of each of the 256 byte values.</summary>
    public IReadOnlyList<float> Values => table;

    /// <summary>Bytes held in memory: the pixels and the table.</summary>
    public long MemoryBytes => pixels.Length + 4L * table.Length;

    /// <summary>The float value of each byte value v: <c>v / divisor</c>, then <c>(· − mean) / std</c> when
    /// <paramref name="mean"/> and <paramref name="std"/> are given, computed with float32 tensor operations in that
    /// order (the same rounding as applying them to a float tensor of the whole set).</summary>
    public static float[] Table(double divisor, double? mean = null, double? std = null)
    {
        if ((mean is null) != (std is null))
            throw new ArgumentException("ByteImages.Table: give both mean and std, or neither");
        var v = Tensor.From(Enumerable.Range(0, 256).Select(i => (float)i).ToArray());
        v /= divisor;
        if (mean is double m && std is double s) v = (v - m) / s;
        return v.ToArray<float>();
    }

    /// <summary>The examples at <paramref name="index"/> as float32 (k, ...). With <paramref name="pooled"/>, the
    /// result lives in pooled memory that the caller hands back with <see cref="Tensor.ReleaseStorage"/> (a data
    /// loader's batch).</summary>
    public Tensor Gather(ReadOnlySpan<long> index, bool pooled = false)
    {
        int k = index.Length;
        // An all-zero index into a one-example template gives a tensor of the batch's shape in the memory asked for.
        template ??= Tensor.Zeros([1, .. shape.AsSpan(1)]);
        var y = template.IndexSelect(0, Tensor.From(new long[k]), pooled);
        var dst = y.AsSpan<float>();
        for (int i = 0; i < k; i++)
        {
            long e = index[i];
            if (e < 0 || e >= Count)
                throw new IndexOutOfRangeException($"ByteImages.Gather: example {e} is outside 0..{Count - 1}");
            var src = pixels.AsSpan((int)(e * itemSize), itemSize);
            var to = dst.Slice(i * itemSize, itemSize);
            for (int j = 0; j < src.Length; j++) to[j] = table[src[j]];
        }
        return y;
    }

    /// <summary>A new set holding the examples at <paramref name="index"/>, in that order (bytes copied).</summary>
    public ByteImages Select(ReadOnlySpan<long> index)
    {
        var picked = new byte[(long)index.Length * itemSize];
        for (int i = 0; i < index.Length; i++)
        {
            long e = index[i];
            if (e < 0 || e >= Count)
                throw new IndexOutOfRangeException($"ByteImages.Select: example {e} is outside 0..{Count - 1}");
            pixels.AsSpan((int)(e * itemSize), itemSize).CopyTo(picked.AsSpan(i * itemSize, itemSize));
        }
        return new ByteImages(picked, [index.Length, .. shape.AsSpan(1)], table);
    }

    /// <summary>The whole set as a float32 tensor of <see cref="Shape"/> (4 bytes a pixel).</summary>
    public Tensor ToTensor()
    {
        var all = new long[Count];
        for (int i = 0; i < all.Length; i++) all[i] = i;
        return Gather(all);
    }
}
