namespace Dendrite;

/// <summary>
/// A seedable source of random numbers (xoshiro256**). Every random op takes one; the default is
/// <see cref="Default"/>, reseeded by <see cref="ManualSeed"/>, so one seed makes a run reproducible.
/// </summary>
public sealed partial class Generator
{
    [ThreadStatic] private static Generator? threadDefault;
    private static ulong defaultSeed = 0x5EED;
    private ulong s0, s1, s2, s3;
    private double spareGaussian = double.NaN;

    /// <summary>A generator started from <paramref name="seed"/>.</summary>
    public Generator(ulong seed) => Seed(seed);

    /// <summary>This thread's default generator.</summary>
    public static Generator Default => threadDefault ??= new Generator(defaultSeed);

    /// <summary>Reseeds the default generator (and the one later threads start from).</summary>
    public static void ManualSeed(ulong seed)
    {
        defaultSeed = seed;
        threadDefault = new Generator(seed);
    }

    /// <summary>Restarts the sequence from <paramref name="seed"/>.</summary>
    public void Seed(ulong seed)
    {
        // splitmix64 expands the seed into the four state words.
        ulong z = seed;
        s0 = SplitMix(ref z);
        s1 = SplitMix(ref z);
        s2 = SplitMix(ref z);
        s3 = SplitMix(ref z);
        spareGaussian = double.NaN;
    }

    /// <summary>The full state, for checkpoints.</summary>
    public ulong[] GetState() => [s0, s1, s2, s3, BitConverter.DoubleToUInt64Bits(spareGaussian)];

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 5) throw new ArgumentException($"Generator state has 5 words, got {state.Length}");
        // xoshiro256** never leaves the all-zero state: it would yield 0 forever (and NextInt64 would spin).
        if ((state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException("Generator state words 0-3 are all zero, which xoshiro256** cannot use");
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
        spareGaussian = BitConverter.UInt64BitsToDouble(state[4]);
    }

    private static ulong SplitMix(ref ulong z)
    {
        ulong r = z += 0x9E3779B97F4A7C15;
        r = (r ^ (r >> 30)) * 0xBF58476D1CE4E5B9;
        r = (r ^ (r >> 27)) * 0x94D049BB133111EB;
        return r ^ (r >> 31);
    }

    /// <summary>64 random bits.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [low, high).</summary>
    public long NextInt64(long low, long high)
    {
        if (high <= low) throw new ArgumentException($"NextInt64: empty range [{low}, {high})");
        ulong range = (ulong)(high - low);
        // Lemire's nearly divisionless method: unbiased.
        ulong x = NextUInt64();
        UInt128 m = (UInt128)x * range;
        ulong l = (ulong)m;
        if (l < range)
        {
            ulong t = (0 - range) % range;
            while (l < t)
            {
                x = NextUInt64();
                m = (UInt128)x * range;
                l = (ulong)m;
            }
        }
        return low + (long)(m >> 64);
    }

    /// <summary>Standard normal (Box–Muller; the second value of each pair is kept for the next call).</summary>
    public double NextGaussian()
    {
        if (!double.IsNaN(spareGaussian))
        {
            double r = spareGaussian;
            spareGaussian = double.NaN;
            return r;
        }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double mag = Math.Sqrt(-2.0 * Math.Log(u1));
        spareGaussian = mag * Math.Sin(2 * Math.PI * u2);
        return mag * Math.Cos(2 * Math.PI * u2);
    }
}

public partial class Tensor
{
    /// <summary>Uniform values in [low, high).</summary>
    public static Tensor Rand(ReadOnlySpan<int> shape, Generator? generator = null, double low = 0, double high = 1,
        DType dtype = DType.Float32)
    {
        var g = generator ?? Generator.Default;
        var t = Empty(dtype, shape.ToArray());
        switch (dtype)
        {
            case DType.Float32: g.FillUniform(t.Span<float>(), low, high); break;
            case DType.Float64: g.FillUniform(t.Span<double>(), low, high); break;
            default:
                for (int i = 0; i < t.Numel; i++) t.SetFlat(i, low + (high - low) * g.NextDouble());
                break;
        }
        return t;
    }

    /// <summary>Normal values with the given mean and standard deviation.</summary>
    public static Tensor Randn(ReadOnlySpan<int> shape, Generator? generator = null, double mean = 0, double std = 1,
        DType dtype = DType.Float32)
    {
        var g = generator ?? Generator.Default;
        var t = Empty(dtype, shape.ToArray());
        switch (dtype)
        {
            case DType.Float32: g.FillNormal(t.Span<float>(), mean, std); break;
            case DType.Float64: g.FillNormal(t.Span<double>(), mean, std); break;
            default:
                for (int i = 0; i < t.Numel; i++) t.SetFlat(i, mean + std * g.NextGaussian());
                break;
        }
        return t;
    }

    /// <summary>Uniform integers in [low, high) as Int64.</summary>
    public static Tensor Randint(long low, long high, ReadOnlySpan<int> shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = Empty(DType.Int64, shape.ToArray());
        var s = t.Span<long>();
        for (int i = 0; i < s.Length; i++) s[i] = g.NextInt64(low, high);
        return t;
    }

    /// <summary>0/1 samples, 1 with probability p (a constant).</summary>
    public static Tensor Bernoulli(double p, ReadOnlySpan<int> shape, Generator? generator = null, DType dtype = DType.Float32)
    {
        var g = generator ?? Generator.Default;
        var t = Empty(dtype, shape.ToArray());
        switch (dtype)
        {
            case DType.Float32: g.FillBernoulli(t.Span<float>(), p); break;
            case DType.Float64: g.FillBernoulli(t.Span<double>(), p); break;
            default:
                for (int i = 0; i < t.Numel; i++) t.SetFlat(i, g.NextDouble() < p ? 1 : 0);
                break;
        }
        return t;
    }

    /// <summary>0/1 samples, element i is 1 with probability this[i] (a tensor of probabilities).</summary>
    public Tensor Bernoulli(Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = Empty(DType.IsFloating() ? DType : DType.Float32, (int[])shape.Clone());
        if (t.DType == DType.Float32 && DType == DType.Float32)
            g.FillBernoulli(t.Span<float>(), Contiguous().Span<float>());
        else if (t.DType == DType.Float64) g.FillBernoulli(t.Span<double>(), Contiguous().Span<double>());
        else g.FillBernoulli(t.Span<float>(), To(DType.Float64).Contiguous().Span<double>());
        return t;
    }

    /// <summary>A random permutation of 0 … n-1 (Int64), by Fisher–Yates.</summary>
    public static Tensor Randperm(int n, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = Arange(n, DType.Int64);
        var s = t.Span<long>();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (s[i], s[j]) = (s[j], s[i]);
        }
        return t;
    }
}
