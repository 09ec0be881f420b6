namespace Dendrite;

/// <summary>
/// A ceiling on the tensor memory this thread may allocate while the budget is open: every new tensor storage is
/// charged before its array is allocated, and the charge that would pass <see cref="MaxBytes"/> throws
/// <see cref="AllocationBudgetException"/> instead. Loaders of untrusted files (ONNX models) open one so a
/// hostile file cannot make the process allocate more than the caller allowed.
/// <code>using var budget = AllocationBudget.Begin(1L &lt;&lt; 30);</code>
/// Budgets nest; the innermost one is charged. Arrays handed to <c>Tensor.From</c> are the caller's own and are
/// not charged.
/// </summary>
public sealed class AllocationBudget : IDisposable
{
    [ThreadStatic] private static AllocationBudget? current;
    private readonly AllocationBudget? outer;
    private bool disposed;

    private AllocationBudget(long maxBytes)
    {
        MaxBytes = maxBytes;
        outer = current;
        current = this;
    }

    /// <summary>The most bytes the budget allows.</summary>
    public long MaxBytes { get; }

    /// <summary>Bytes charged so far.</summary>
    public long UsedBytes { get; private set; }

    /// <summary>Opens a budget of <paramref name="maxBytes"/> on this thread until disposed.</summary>
    public static AllocationBudget Begin(long maxBytes)
    {
        if (maxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "must be positive");
        return new AllocationBudget(maxBytes);
    }

    /// <summary>Sets the bytes already counted against the budget (for example to start a new step of work with
    /// what the earlier steps kept alive).</summary>
    public void Reset(long usedBytes = 0) => UsedBytes = Math.Max(0, usedBytes);

    /// <summary>Charges <paramref name="elements"/> elements of <paramref name="elementSize"/> bytes to the open
    /// budget, if any, before they are allocated.</summary>
    internal static void Charge(long elements, int elementSize)
    {
        var b = current;
        if (b is null || elements <= 0) return;
        long bytes = elements > long.MaxValue / elementSize ? long.MaxValue : elements * elementSize;
        long total = bytes > long.MaxValue - b.UsedBytes ? long.MaxValue : b.UsedBytes + bytes;
        if (total > b.MaxBytes) throw new AllocationBudgetException(bytes, b.UsedBytes, b.MaxBytes);
        b.UsedBytes = total;
    }

    /// <summary>Closes the budget; the enclosing one (if any) becomes current again.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (current == this) current = outer;
    }
}

/// <summary>An allocation that would pass the open <see cref="AllocationBudget"/>.</summary>
public sealed class AllocationBudgetException : Exception
{
    /// <summary>Creates the exception for a request of <paramref name="requested"/> bytes.</summary>
    public AllocationBudgetException(long requested, long used, long limit)
        : base($"allocating {requested:N0} bytes would pass the budget of {limit:N0} bytes ({used:N0} used)")
    {
        Requested = requested;
        Limit = limit;
    }

    /// <summary>The bytes the refused allocation asked for.</summary>
    public long Requested { get; }

    /// <summary>The budget's ceiling in bytes.</summary>
    public long Limit { get; }
}
