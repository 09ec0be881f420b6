using System.Numerics;

namespace Dendrite;

/// <summary>
/// The memory behind one or more tensors (views share it). Storage made inside a <see cref="TensorScope"/> is
/// rented from a size-bucketed pool and handed back when the scope ends; storage made outside any scope is
/// ordinary garbage-collected memory.
/// </summary>
public abstract class Storage
{
    private static int created;

    internal TensorScope? Owner;

    /// <summary>Order of creation among all storages: lets autograd tell a gradient made during the current backward
    /// pass from a tensor that existed before it. It wraps around after 2³² storages, so serials are compared by
    /// their difference (<see cref="MadeSince"/>), which is right for any span shorter than 2³¹ storages. (An int,
    /// not a long, so that the version counter fits in the object without making every storage 8 bytes larger.)
    /// </summary>
    internal int Serial { get; } = Interlocked.Increment(ref created);

    /// <summary>The serial the next storage will get.</summary>
    internal static int NextSerial => unchecked(Volatile.Read(ref created) + 1);

    /// <summary>Whether this storage was created at or after serial <paramref name="serial"/>.</summary>
    internal bool MadeSince(int serial) => unchecked(Serial - serial) >= 0;

    /// <summary>Memory whose lifetime is managed by hand (<see cref="Tensor.ReleaseStorage"/>).</summary>
    internal bool Manual { get; init; }

    /// <summary>Pooled memory that a leaf took out of its TensorScope as its gradient (autograd's AccumulateGrad):
    /// handed back to the pool when the leaf's gradient is replaced before anyone read it.</summary>
    internal bool Adopted { get; set; }

    /// <summary>True while a <see cref="TensorScope"/> owns this memory: it goes back to the pool when that scope
    /// ends, so anything that must outlive the scope is copied out (<see cref="TensorScope.Outside{T}"/>) or kept.</summary>
    public bool IsScoped => Owner is not null;

    /// <summary>Counts in-place writes to this storage (shared by every view of it). Autograd records it when an op
    /// saves a tensor for its backward and checks it again before that backward runs.</summary>
    internal int Version;

    // Whether the array came from the pool (kept here rather than in Storage<T> so that the version counter above
    // fits in the object's existing padding).
    private protected bool pooled;

    /// <summary>Number of elements the storage holds.</summary>
    public int Length { get; protected init; }

    /// <summary>Element type.</summary>
    public abstract DType DType { get; }

    /// <summary>False once the storage went back to the pool; tensors over it can no longer be read.</summary>
    public bool IsAlive { get; protected set; } = true;

    internal abstract void Release();

    internal static Storage Create(DType dtype, int length, bool clear, bool manual = false) => dtype switch
    {
        DType.Float32 => new Storage<float>(length, clear, manual),
        DType.Float64 => new Storage<double>(length, clear, manual),
        DType.Int64 => new Storage<long>(length, clear, manual),
        DType.Bool => new Storage<bool>(length, clear, manual),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}

/// <summary>Typed storage over a managed array.</summary>
public sealed class Storage<T> : Storage where T : unmanaged
{
    private T[]? array;

    internal Storage(int length, bool clear, bool manual = false)
    {
        AllocationBudget.Charge(length, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        Length = length;
        Owner = manual ? null : TensorScope.Current;
        Manual = manual;
        if (Owner is null && !manual)
        {
            // Without `clear` the caller writes every element (the pooled branch below hands out dirty arrays under
            // the same contract), so large outputs skip the garbage collector's zeroing.
            array = length == 0 ? [] : clear ? new T[length] : GC.AllocateUninitializedArray<T>(length);
            return;
        }
        array = BufferPool<T>.Rent(length);
        pooled = true;
        if (clear) System.Array.Clear(array, 0, length);
        Owner?.Track(this);
    }

    internal Storage(T[] data)
    {
        Length = data.Length;
        array = data;
    }

    /// <inheritdoc/>
    public override DType DType => DTypes.Of<T>();

    /// <summary>The backing array (may be longer than <see cref="Storage.Length"/> when pooled).</summary>
    internal T[] Array => array ?? throw new InvalidOperationException(Manual
        // Pooled by hand (IndexSelect with pooled: true): in practice a data loader's batch, recycled once the loop
        // moved on to the next one.
        ? "tensor used after its pooled memory was handed back (ReleaseStorage): a DataLoader recycles each batch " +
          "when the next one is drawn, so a batch kept past its step must be copied with Clone()"
        : "tensor used after the TensorScope that created it ended; call scope.Keep(tensor) to let it outlive the scope");

    internal override void Release()
    {
        if (array is null) return;
        if (pooled) BufferPool<T>.Return(array);
        array = null;
        IsAlive = false;
    }
}

/// <summary>Size-bucketed pool of arrays (powers of two), shared by all threads. Arrays are handed out with whatever
/// they last held: every renter writes what it reads.</summary>
internal static class BufferPool<T> where T : unmanaged
{
    private static readonly Stack<T[]>[] Buckets = CreateBuckets();
    private static readonly Lock Gate = new();

    private static Stack<T[]>[] CreateBuckets()
    {
        var b = new Stack<T[]>[32];
        for (int i = 0; i < b.Length; i++) b[i] = new Stack<T[]>();
        return b;
    }

    private static int Bucket(int length) => length <= 16 ? 4 : 32 - BitOperations.LeadingZeroCount((uint)length - 1);

    public static T[] Rent(int length)
    {
        int b = Bucket(length);
        lock (Gate)
        {
            if (Buckets[b].TryPop(out var a)) return a;
        }
        // Rented arrays come back dirty from the pool, so callers never rely on zeros: a fresh one skips the
        // garbage collector's zeroing too.
        return GC.AllocateUninitializedArray<T>(1 << b);
    }

    public static void Return(T[] array)
    {
        int b = BitOperations.Log2((uint)array.Length);
        if (array.Length != 1 << b) return;
        lock (Gate) Buckets[b].Push(array);
    }
}

/// <summary>
/// A region whose intermediate tensors give their memory back to the pool when it ends:
/// <c>using var scope = TensorScope.Begin();</c>. Tensors that must outlive it are passed to <see cref="Keep"/>.
/// Scopes nest; a kept tensor moves to the enclosing scope (or to the garbage collector when there is none).
/// </summary>
public partial class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;
    [ThreadStatic] private static Stack<TensorScope>? spare;
    private readonly List<Storage> tracked = [];
    private TensorScope? parent;
    private bool open;

    private TensorScope()
    {
    }

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static TensorScope? Current => current;

    /// <summary>Opens a scope on this thread.</summary>
    public static TensorScope Begin()
    {
        spare ??= new Stack<TensorScope>();
        var s = spare.Count > 0 ? spare.Pop() : new TensorScope();
        s.parent = current;
        s.open = true;
        current = s;
        return s;
    }

    internal void Track(Storage s) => tracked.Add(s);

    /// <summary>Lets <paramref name="tensor"/> (and every view of its storage) outlive this scope.</summary>
    public Tensor Keep(Tensor tensor)
    {
        var s = tensor.Storage;
        if (s.Owner == this)
        {
            s.Owner = parent;
            parent?.Track(s);
        }
        return tensor;
    }

    /// <summary>Returns the memory of every tensor made in this scope and not kept.</summary>
    public void Dispose()
    {
        if (!open) return;
        if (current != this)
            throw new InvalidOperationException("TensorScope disposed out of order: inner scopes must end first");
        foreach (var s in tracked)
        {
            if (s.Owner == this) s.Release();
        }
        tracked.Clear();
        current = parent;
        parent = null;
        open = false;
        spare!.Push(this);
    }
}

public partial class TensorScope
{
    /// <summary>Runs <paramref name="make"/> with no scope active on this thread, so what it allocates is ordinary
    /// GC memory that no scope hands back (model parameters and buffers made while a step's scope is open).</summary>
    public static T Outside<T>(Func<T> make)
    {
        var saved = current;
        current = null;
        try
        {
            return make();
        }
        finally
        {
            current = saved;
        }
    }
}
