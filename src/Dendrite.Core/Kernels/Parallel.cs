using System.Runtime.ExceptionServices;

namespace Dendrite.Kernels;

/// <summary>The number of threads Dendrite's kernels use. Defaults to <c>DENDRITE_NUM_THREADS</c> when set,
/// otherwise to the number of cores the process may run on.</summary>
public static class Threads
{
    private static int count; // 0 until first read: the environment is parsed then, so a bad value throws there

    /// <summary>Threads used by <see cref="Parallel.For"/> (the calling thread included); at least 1.</summary>
    public static int Count
    {
        get
        {
            if (count == 0) count = FromEnvironment();
            return count;
        }
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, "Threads.Count: must be at least 1");
            count = value;
        }
    }

    private static int FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("DENDRITE_NUM_THREADS");
        if (string.IsNullOrWhiteSpace(text)) return Environment.ProcessorCount;
        if (!int.TryParse(text, out int n) || n < 1)
            throw new InvalidOperationException(
                $"DENDRITE_NUM_THREADS: '{text}' is not a positive integer");
        return n;
    }
}

/// <summary>The one parallel loop of the kernels: splits [0, count) into at most <see cref="Threads.Count"/>
/// contiguous ranges of at least <c>grain</c> items and runs them on the caller plus resident worker threads.
/// Calls made from inside a body run serially on that thread, so nesting never oversubscribes the cores.</summary>
public static class Parallel
{
    [ThreadStatic] private static bool inside;
    private static readonly Lock Gate = new();
    private static Worker[] workers = [];

    // The job in flight (guarded by Gate): ranges are claimed with an atomic counter.
    private static Action<int, int>? body;
    private static int jobCount, jobChunks, nextChunk, pending;
    private static Exception? failure;
    private static readonly ManualResetEventSlim Done = new(false, 200);

    /// <summary>Runs <paramref name="rangeBody"/>(start, end) over disjoint ranges covering [0, count).</summary>
    /// <param name="count">Items to process; 0 does nothing.</param>
    /// <param name="grain">Fewest items worth giving to one thread (≥ 1); below 2·grain all runs inline.</param>
    /// <param name="rangeBody">Called with a half-open range; must only touch data owned by that range.</param>
    public static void For(int count, int grain, Action<int, int> rangeBody)
    {
        ArgumentNullException.ThrowIfNull(rangeBody);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Parallel.For: count < 0");
        if (grain < 1) throw new ArgumentOutOfRangeException(nameof(grain), grain, "Parallel.For: grain < 1");
        if (count == 0) return;
        int chunks = Math.Min(Threads.Count, count / grain);
        if (chunks <= 1 || inside || !Gate.TryEnter())
        {
            // Too little work, already on a worker, or another thread owns the pool: stay on this thread.
            RunInline(count, rangeBody);
            return;
        }
        try
        {
            Dispatch(count, chunks, rangeBody);
        }
        finally
        {
            Gate.Exit();
        }
    }

    private static void RunInline(int count, Action<int, int> rangeBody)
    {
        bool was = inside;
        inside = true;
        try
        {
            rangeBody(0, count);
        }
        finally
        {
            inside = was;
        }
    }

    private static void Dispatch(int count, int chunks, Action<int, int> rangeBody)
    {
        EnsureWorkers(chunks - 1);
        body = rangeBody;
        jobCount = count;
        jobChunks = chunks;
        nextChunk = 0;
        failure = null;
        pending = chunks - 1;
        Done.Reset();
        for (int w = 0; w < chunks - 1; w++) workers[w].Wake();
        RunChunks();
        Done.Wait();
        body = null;
        // The first failure is rethrown as it is, as it would be had the body run inline.
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
    }

    // Claims chunks until none are left. Chunk c covers [c·count/chunks, (c+1)·count/chunks).
    private static void RunChunks()
    {
        bool was = inside;
        inside = true;
        try
        {
            int c;
            while ((c = Interlocked.Increment(ref nextChunk) - 1) < jobChunks)
            {
                int start = (int)((long)c * jobCount / jobChunks);
                int end = (int)((long)(c + 1) * jobCount / jobChunks);
                try
                {
                    body!(start, end);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            }
        }
        finally
        {
            inside = was;
        }
    }

    private static void EnsureWorkers(int needed)
    {
        if (workers.Length >= needed) return;
        var grown = new Worker[needed];
        workers.CopyTo(grown, 0);
        for (int w = workers.Length; w < needed; w++) grown[w] = new Worker(w);
        workers = grown;
    }

    private sealed class Worker
    {
        private readonly ManualResetEventSlim go = new(false, 200);

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Dendrite worker {index + 1}" };
            thread.Start();
        }

        public void Wake() => go.Set();

        private void Loop()
        {
            while (true)
            {
                go.Wait();
                go.Reset();
                RunChunks();
                if (Interlocked.Decrement(ref pending) == 0) Done.Set();
            }
        }
    }
}
