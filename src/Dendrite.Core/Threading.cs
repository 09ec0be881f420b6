namespace Dendrite;

/// <summary>The threads Dendrite's CPU kernels run on: how many, and the parallel loop they share (for code outside
/// the kernels that splits its own work the same way, such as an optimizer's update).</summary>
public static class Threading
{
    /// <summary>Threads used per operation, the calling thread included; at least 1. Defaults to the
    /// <c>DENDRITE_NUM_THREADS</c> environment variable when set, otherwise to the cores the process may run
    /// on.</summary>
    public static int Count
    {
        get => Kernels.Threads.Count;
        set => Kernels.Threads.Count = value;
    }

    /// <summary>Runs <paramref name="body"/>(start, end) over disjoint ranges covering [0, count) on at most
    /// <see cref="Count"/> threads, ranges of at least <paramref name="grain"/> items (below 2·grain it all runs on
    /// the caller); a call from inside a body runs serially.</summary>
    public static void For(int count, int grain, Action<int, int> body) => Kernels.Parallel.For(count, grain, body);
}
