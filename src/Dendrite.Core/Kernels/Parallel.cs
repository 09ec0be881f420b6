using System.Runtime.ExceptionServices;

namespace Dendrite.Kernels;

/// <summary>The number of threads Dendrite's kernels use. Defaults to <c>DENDRITE_NUM_THREADS</c> when set,
/// otherwise to the number of cores the process may run on.</summary>
internal static class Threads
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
                throw new ArgumentOutOfRangeException(nameof(value), value, "Threading.Count: must be at least 1");
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
/// <remarks>A worker that finishes a job spins for <see cref="SpinMicroseconds"/> watching for the next one before
/// it blocks on its event: deep-learning loops issue many small products back to back, and waking a sleeping
/// thread through the kernel costs tens of microseconds, as much as a 64×256×128 product takes.</remarks>
internal static class Parallel
{
    /// <summary>How long an idle worker keeps polling for work before it sleeps.</summary>
    public const int SpinMicroseconds = 200;

    [ThreadStatic] private static bool inside;
    private static readonly Lock Gate = new();
    private static Worker[] workers = [];
    private static readonly long SpinTicks =
        Math.Max(1, System.Diagnostics.Stopwatch.Frequency * SpinMicroseconds / 1_000_000);

    // The job in flight (guarded by Gate). A job is published by advancing `ticket` after its fields are written:
    // sequence number · 2^16 + the number of workers taking part (one word, so a worker never pairs one job's number
    // with another's participants). Chunks are claimed from `claim` = sequence number · 2^32 + chunks · 2^16 + chunks
    // claimed so far, so a claim names the job it belongs to and its chunk count in the same word: a worker that
    // arrives after its job ended claims nothing, or claims a chunk of the current job (and runs it as any thread
    // would), never a chunk of one job with another's count. The caller waits for the chunks to be completed, not for
    // the workers: a worker the operating system has not scheduled yet leaves its chunk to the caller instead of
    // holding the job up until it runs.
    private static Action<int, int>? body;
    private static int jobCount, completed;
    private static long ticket, claim;
    private const int MaxChunks = 1 << 15;
    private static Exception? failure;
    private static readonly ManualResetEventSlim Done = new(false, 1);

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
        int chunks = Math.Min(Math.Min(Threads.Count, MaxChunks), count / grain);
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
        failure = null;
        Volatile.Write(ref completed, 0);
        Done.Reset();
        // Full fences: the fields above are visible before the new claim word, and that before the new ticket.
        long sequence = (ticket >> 16) + 1;
        Interlocked.Exchange(ref claim, (sequence << 32) | ((long)chunks << 16));
        Interlocked.Exchange(ref ticket, (sequence << 16) | (long)(chunks - 1));
        for (int w = 0; w < chunks - 1; w++) workers[w].WakeIfSleeping();
        RunChunks();
        // The workers usually finish within microseconds of the caller: poll before blocking.
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        while (Volatile.Read(ref completed) != chunks && System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
            Thread.SpinWait(8);
        // Done can be set late by the thread that completed the previous job's last chunk (after that job's caller
        // saw the count and returned), so a woken caller checks the count again rather than trusting the event:
        // returning early would leave a chunk of this job running while the caller moves on. Reset is a full fence,
        // so a Set that it erases is always followed by the read that sees the final count.
        while (Volatile.Read(ref completed) != chunks)
        {
            Done.Wait();
            Done.Reset();
        }
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
            while (true)
            {
                long word = Interlocked.Increment(ref claim);
                int c = (int)(word & 0xFFFF) - 1, chunks = (int)((word >> 16) & 0xFFFF);
                if (c >= chunks) return;
                // The claim is a full fence after the caller published this job's fields.
                int count = jobCount;
                int start = (int)((long)c * count / chunks);
                int end = (int)((long)(c + 1) * count / chunks);
                try
                {
                    body!(start, end);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
                if (Interlocked.Increment(ref completed) == chunks) Done.Set();
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
        for (int w = workers.Length; w < needed; w++) grown[w] = new Worker(w, Volatile.Read(ref ticket));
        workers = grown;
    }

    private sealed class Worker
    {
        private readonly ManualResetEventSlim go = new(false, 1);
        private readonly int index;
        private long seen;
        private int sleeping;

        public Worker(int index, long ticketNow)
        {
            this.index = index;
            seen = ticketNow;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Dendrite worker {index + 1}" };
            thread.Start();
        }

        // Called after the ticket advanced (a full fence); the worker announces sleep with a full fence
        // before its last look at the ticket, so one of the two always sees the other.
        public void WakeIfSleeping()
        {
            if (Volatile.Read(ref sleeping) != 0) go.Set();
        }

        private void Loop()
        {
            while (true)
            {
                seen = WaitForJob();
                if (index >= (int)(seen & 0xFFFF)) continue;
                RunChunks();
            }
        }

        // Spins until the ticket moves past the last one seen, then sleeps on the event.
        private long WaitForJob()
        {
            long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (true)
            {
                long g = Volatile.Read(ref ticket);
                if (g != seen) return g;
                if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                go.Reset();
                Interlocked.Exchange(ref sleeping, 1);
                if (Volatile.Read(ref ticket) == seen) go.Wait();
                Interlocked.Exchange(ref sleeping, 0);
                deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            }
        }
    }
}
