using Dendrite.Data.Transforms;

namespace Dendrite.Data;

/// <summary>Batches of (inputs, targets) from two tensors whose first dimension indexes examples (or from compact
/// <see cref="ByteImages"/> and a target tensor, the pixels converted to float per batch), optionally shuffled each
/// epoch by a seeded generator. With <c>prefetch</c>, the next batch is gathered on a background thread while the
/// current one is used.
/// <para>Batches are recycled: each lives in pooled buffers that go back to the pool as soon as the loop moves on to
/// the next batch (and when the loop ends), so a training epoch allocates no large arrays (fresh pages are expensive
/// here). A batch, or anything that is a view of it (<c>Narrow</c>, <c>Reshape</c>, indexing), is valid only during
/// its own step. To keep one longer, for example to look at the first batch after the loop, keep a copy:
/// <c>var kept = x.Clone();</c>. Reading a recycled batch throws <see cref="InvalidOperationException"/>; its
/// message, written by the tensor library for every released buffer, speaks of a <c>TensorScope</c> ending even
/// though the loader, not a scope, released the batch: the cure is the same <c>Clone()</c>.</para>
/// <para>With a <see cref="Transform"/> (augmentation), each batch's inputs are transformed as the batch is gathered,
/// on the background thread when prefetching; the stored examples never change.</para></summary>
public sealed class DataLoader : IEnumerable<(Tensor X, Tensor Y)>
{
    private readonly bool shuffle, dropLast, prefetch;
    private readonly ByteImages? images;
    private Tensor? inputs;

    /// <summary>Batches of <paramref name="inputs"/> and <paramref name="targets"/> (first dimension N in both).
    /// </summary>
    public DataLoader(Tensor inputs, Tensor targets, int batchSize, bool shuffle = false, bool dropLast = false,
        Generator? generator = null, bool prefetch = false)
        : this(inputs.Size(0), targets, batchSize, shuffle, dropLast, generator, prefetch)
    {
        this.inputs = inputs;
    }

    /// <summary>Batches of compact images: the pixels stay bytes and each batch is converted to float32 as it is
    /// gathered, holding the same values as a float tensor of the whole set would (<see cref="ByteImages"/>).</summary>
    public DataLoader(ByteImages inputs, Tensor targets, int batchSize, bool shuffle = false, bool dropLast = false,
        Generator? generator = null, bool prefetch = false)
        : this(inputs.Count, targets, batchSize, shuffle, dropLast, generator, prefetch)
    {
        images = inputs;
    }

    private DataLoader(int n, Tensor targets, int batchSize, bool shuffle, bool dropLast, Generator? generator,
        bool prefetch)
    {
        if (n != targets.Size(0)) throw new ArgumentException($"DataLoader: {n} inputs but {targets.Size(0)} targets");
        Length = n;
        Targets = targets;
        BatchSize = batchSize <= 0 ? n : batchSize;
        Generator = generator ?? new Generator(0);
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.prefetch = prefetch;
    }

    /// <summary>The examples' inputs, first dimension N. For a loader over <see cref="ByteImages"/> this is the
    /// whole set converted to float32 on first use (four bytes a pixel): prefer <see cref="Length"/> for the count
    /// and <see cref="Images"/> for the pixels.</summary>
    public Tensor Inputs => inputs ??= images!.ToTensor();

    /// <summary>The compact images the batches come from, or null when the inputs are a tensor.</summary>
    public ByteImages? Images => images;

    /// <summary>Number of examples, N.</summary>
    public int Length { get; }

    /// <summary>The examples' targets, first dimension N.</summary>
    public Tensor Targets { get; }

    /// <summary>Examples per batch (the whole set when ≤ 0: full-batch training).</summary>
    public int BatchSize { get; }

    /// <summary>The generator that shuffles (its state is part of a checkpoint).</summary>
    public Generator Generator { get; }

    /// <summary>Applied in place to the inputs of every batch as it is gathered (data augmentation); null for none.
    /// The inputs must be images (N, C, H, W) or (N, H, W).</summary>
    public ITransform? Transform { get; init; }

    /// <summary>The generator the <see cref="Transform"/> draws from, apart from the shuffling one so that adding
    /// augmentation does not change the batch order.</summary>
    public Generator TransformGenerator { get; init; } = new(0x5EED);

    /// <summary>Number of batches per epoch.</summary>
    public int Count => dropLast ? Length / BatchSize : (Length + BatchSize - 1) / BatchSize;

    /// <summary>The example order of the next epoch (drawn now when shuffling).</summary>
    public long[] NextOrder()
    {
        int n = Length;
        return shuffle ? Tensor.Randperm(n, Generator).ToArray<long>() : Enumerable.Range(0, n).Select(i => (long)i).ToArray();
    }

    /// <summary>The batches of one epoch in the given order, from batch <paramref name="skip"/> on (to resume).</summary>
    public IEnumerable<(Tensor X, Tensor Y)> Batches(long[] order, int skip = 0)
    {
        (Tensor, Tensor) Make(int b)
        {
            int start = b * BatchSize, len = Math.Min(BatchSize, order.Length - start);
            var picked = order.AsSpan(start, len);
            var idx = Tensor.From(picked.ToArray());
            var x = images is null ? inputs!.IndexSelect(0, idx, pooled: true) : images.Gather(picked, pooled: true);
            Transform?.ApplyInPlace(x, TransformGenerator);
            return (x, Targets.IndexSelect(0, idx, pooled: true));
        }
        (Tensor X, Tensor Y)? previous = null;
        void Recycle((Tensor X, Tensor Y)? batch)
        {
            batch?.X.ReleaseStorage();
            batch?.Y.ReleaseStorage();
        }
        try
        {
            // With prefetch, batch b + 1 is gathered on a background thread while batch b is in use.
            Task<(Tensor, Tensor)>? pending = null;
            for (int b = skip; b < Count; b++)
            {
                var current = pending?.Result ?? Make(b);
                // The batch before this one is finished with by now: its buffers go back to the pool.
                Recycle(previous);
                previous = current;
                int following = b + 1;
                pending = prefetch && following < Count ? Task.Run(() => Make(following)) : null;
                yield return current;
            }
        }
        finally
        {
            Recycle(previous);
        }
    }

    /// <inheritdoc/>
    public IEnumerator<(Tensor X, Tensor Y)> GetEnumerator() => Batches(NextOrder()).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
