namespace Dendrite.Models.Classic;

/// <summary>
/// k-means clustering (Lloyd's algorithm) started by k-means++ (Arthur and Vassilvitskii, 2007): the first centre
/// is a random sample, each next one is drawn with probability proportional to D(x)², the squared distance to the
/// nearest centre chosen so far; like scikit-learn it tries 2 + ⌊ln k⌋ candidates per step and keeps the one that
/// lowers the potential most. Lloyd's steps stop when the centres move less than tol × the mean feature variance
/// (squared), and the best of <paramref name="restarts"/> runs by inertia Σ‖x − c‖² is kept (sklearn.cluster.KMeans).
/// </summary>
public sealed class KMeans(int clusters, int restarts = 10, int maxIterations = 300, double tol = 1e-4, ulong seed = 0)
    : IEstimator
{
    /// <inheritdoc/>
    public string Name => $"k-means (k = {clusters})";

    /// <summary>The centres.   (k, d)</summary>
    public Tensor Centers { get; private set; } = Tensor.Zeros(DType.Float64, 0, 0);

    /// <summary>Σ‖x − nearest centre‖² of the fitted data.</summary>
    public double Inertia { get; private set; }

    /// <summary>The cluster of each training sample.   (n) Int64</summary>
    public Tensor Labels { get; private set; } = Tensor.Zeros(DType.Int64, 0);

    /// <summary>Lloyd iterations of the kept run.</summary>
    public int Iterations { get; private set; }

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        var (xs, n, d) = Data.Matrix("KMeans.Fit", x);
        if (clusters < 1 || clusters > n)
            throw new ArgumentException($"KMeans: clusters must be in 1 … {n} (the number of samples), got {clusters}");
        var g = new Generator(seed);
        double threshold = tol * MeanVariance(xs, n, d);
        double bestInertia = double.PositiveInfinity;
        double[] bestCenters = [];
        long[] bestLabels = [];
        for (int run = 0; run < Math.Max(1, restarts); run++)
        {
            var centers = PlusPlus(xs, n, d, g);
            var labels = new long[n];
            int iteration = 0;
            for (; iteration < maxIterations; iteration++)
            {
                Assign(xs, n, d, centers, labels);
                var next = Update(xs, n, d, labels, centers);
                double shift = 0;
                for (int i = 0; i < next.Length; i++) shift += (next[i] - centers[i]) * (next[i] - centers[i]);
                centers = next;
                if (shift <= threshold)
                {
                    iteration++;
                    break;
                }
            }
            double inertia = Assign(xs, n, d, centers, labels);
            if (inertia < bestInertia)
            {
                (bestInertia, bestCenters, bestLabels, Iterations) = (inertia, centers, labels, iteration);
            }
        }
        Inertia = bestInertia;
        Centers = Tensor.From(bestCenters, clusters, d);
        Labels = Tensor.From(bestLabels, n);
    }

    /// <summary>The nearest centre of each row.   x: (m, d) → (m) Int64</summary>
    public Tensor Predict(Tensor x)
    {
        if (Centers.Numel == 0) throw Data.NotFitted("KMeans");
        var (xs, n, d) = Data.Matrix("KMeans.Predict", x);
        Data.Features("KMeans.Predict", x, Centers.Shape[1]);
        var labels = new long[n];
        Assign(xs, n, d, Centers.ToArray<double>(), labels);
        return Tensor.From(labels, n);
    }

    private double[] PlusPlus(double[] xs, int n, int d, Generator g)
    {
        var centers = new double[clusters * d];
        int trials = 2 + (int)Math.Log(clusters);
        int first = (int)g.NextInt64(0, n);
        Array.Copy(xs, first * d, centers, 0, d);
        var closest = new double[n];
        for (int i = 0; i < n; i++) closest[i] = Distance2(xs, i, centers, 0, d);
        for (int c = 1; c < clusters; c++)
        {
            double potential = closest.Sum();
            int bestCandidate = -1;
            double bestPotential = double.PositiveInfinity;
            double[] bestClosest = closest;
            for (int t = 0; t < trials; t++)
            {
                // Draw a sample with probability D(x)² / Σ D².
                double u = g.NextDouble() * potential, acc = 0;
                int pick = n - 1;
                for (int i = 0; i < n; i++)
                {
                    acc += closest[i];
                    if (acc > u)
                    {
                        pick = i;
                        break;
                    }
                }
                var candidate = new double[n];
                double sum = 0;
                for (int i = 0; i < n; i++)
                {
                    candidate[i] = Math.Min(closest[i], Distance2(xs, i, xs, pick, d));
                    sum += candidate[i];
                }
                if (sum < bestPotential)
                {
                    (bestPotential, bestCandidate, bestClosest) = (sum, pick, candidate);
                }
            }
            Array.Copy(xs, bestCandidate * d, centers, c * d, d);
            closest = bestClosest;
        }
        return centers;
    }

    private double Assign(double[] xs, int n, int d, double[] centers, long[] labels)
    {
        double inertia = 0;
        int k = centers.Length / d;
        for (int i = 0; i < n; i++)
        {
            double best = double.PositiveInfinity;
            for (int c = 0; c < k; c++)
            {
                double dist = Distance2(xs, i, centers, c, d);
                if (dist < best)
                {
                    best = dist;
                    labels[i] = c;
                }
            }
            inertia += best;
        }
        return inertia;
    }

    // Each centre moves to the mean of its points; an empty cluster keeps its centre.
    private double[] Update(double[] xs, int n, int d, long[] labels, double[] old)
    {
        var sums = new double[old.Length];
        var counts = new int[old.Length / d];
        for (int i = 0; i < n; i++)
        {
            int c = (int)labels[i];
            counts[c]++;
            for (int j = 0; j < d; j++) sums[c * d + j] += xs[i * d + j];
        }
        for (int c = 0; c < counts.Length; c++)
        {
            for (int j = 0; j < d; j++) sums[c * d + j] = counts[c] == 0 ? old[c * d + j] : sums[c * d + j] / counts[c];
        }
        return sums;
    }

    private static double Distance2(double[] a, int i, double[] b, int j, int d)
    {
        double s = 0;
        for (int k = 0; k < d; k++)
        {
            double t = a[i * d + k] - b[j * d + k];
            s += t * t;
        }
        return s;
    }

    private static double MeanVariance(double[] xs, int n, int d)
    {
        double total = 0;
        for (int j = 0; j < d; j++)
        {
            double mean = 0, ss = 0;
            for (int i = 0; i < n; i++) mean += xs[i * d + j] / n;
            for (int i = 0; i < n; i++) ss += (xs[i * d + j] - mean) * (xs[i * d + j] - mean);
            total += ss / n;
        }
        return total / d;
    }
}
