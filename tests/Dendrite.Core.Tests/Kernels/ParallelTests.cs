using Dendrite.Kernels;
using Parallel = Dendrite.Kernels.Parallel;

namespace Dendrite.Tests.Kernels;

[Trait("Category", "Kernels")]
public class ParallelTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(1000, 3)]
    [InlineData(1001, 600)]
    public void For_CoversEveryIndexExactlyOnce(int count, int grain)
    {
        var hits = new int[count];
        Parallel.For(count, grain, (lo, hi) =>
        {
            Assert.True(hi - lo >= 1);
            for (int i = lo; i < hi; i++) Interlocked.Increment(ref hits[i]);
        });
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_NestedCallsRunInlineAndStillCoverEverything()
    {
        long sum = 0;
        Parallel.For(4, 1, (lo, hi) =>
        {
            for (int i = lo; i < hi; i++)
            {
                Parallel.For(100, 1, (a, b) =>
                {
                    for (int j = a; j < b; j++) Interlocked.Add(ref sum, j);
                });
            }
        });
        Assert.Equal(4L * 4950, sum);
    }

    [Fact]
    public void For_ExceptionInABody_ReachesTheCaller()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parallel.For(8, 1, (lo, _) =>
        {
            if (lo == 0) throw new InvalidOperationException("boom");
        }));
        Assert.Equal("boom", e.Message);
        // The pool is usable afterwards.
        int calls = 0;
        Parallel.For(8, 1, (lo, hi) => Interlocked.Add(ref calls, hi - lo));
        Assert.Equal(8, calls);
    }

    [Fact]
    public void For_BackToBackJobsAndJobsAfterTheWorkersSlept_AllComplete()
    {
        // Short gaps find the workers polling; gaps longer than the polling window find them asleep on their
        // events. Every job must cover its range exactly once either way, and none may hang.
        for (int round = 0; round < 200; round++)
        {
            if (round % 20 == 19) Thread.Sleep(TimeSpan.FromMicroseconds(4 * Parallel.SpinMicroseconds));
            int count = 64 + round;
            var hits = new int[count];
            Parallel.For(count, 1 + round % 7, (lo, hi) =>
            {
                for (int i = lo; i < hi; i++) Interlocked.Increment(ref hits[i]);
            });
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void For_UnderOversubscription_NoChunkRunsTwiceOrAfterTheCallReturns()
    {
        // Spinning threads beyond the core count make the operating system preempt the workers at random points,
        // so workers arrive late to jobs, after their chunks were taken, or in the middle of the next job. Each job
        // must run every chunk exactly once and return only after every chunk finished.
        using var stop = new CancellationTokenSource();
        var hogs = new Thread[Environment.ProcessorCount];
        for (int h = 0; h < hogs.Length; h++)
        {
            hogs[h] = new Thread(() =>
            {
                while (!stop.IsCancellationRequested) Thread.SpinWait(100);
            })
            { IsBackground = true };
            hogs[h].Start();
        }
        try
        {
            int running = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int job = 0; job < 20000 && clock.Elapsed < TimeSpan.FromSeconds(3); job++)
            {
                int count = 2 + job % 5;
                var hits = new int[count];
                Parallel.For(count, 1, (lo, hi) =>
                {
                    Interlocked.Increment(ref running);
                    for (int i = lo; i < hi; i++) Interlocked.Increment(ref hits[i]);
                    Thread.SpinWait(50 + job % 200);
                    Interlocked.Decrement(ref running);
                });
                Assert.Equal(0, Volatile.Read(ref running));
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var h in hogs) h.Join();
        }
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallel.For(-1, 1, (_, _) => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallel.For(5, 0, (_, _) => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Threads.Count = 0);
    }
}
