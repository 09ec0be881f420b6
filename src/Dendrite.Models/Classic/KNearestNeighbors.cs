namespace Dendrite.Models.Classic;

/// <summary>
/// k-nearest-neighbour classification by majority vote among the k training samples closest in Euclidean distance
/// (ties between classes go to the smallest label, as sklearn.neighbors.KNeighborsClassifier). Distances are
/// computed in blocks of queries as ‖q‖² − 2q·xᵀ + ‖x‖² with one float32 GEMM per block, and each query's k best
/// are kept by insertion into a sorted list of k, in parallel over queries.
/// </summary>
public sealed class KNearestNeighbors(int k = 5, int blockSize = 1024) : IClassifier
{
    private Tensor train = Tensor.Zeros(0, 0);
    private float[] trainNorms = [];
    private long[] labels = [];
    private int classes;

    /// <inheritdoc/>
    public string Name => $"k-NN (k = {k})";

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        if (k < 1) throw new ArgumentException($"KNearestNeighbors: k must be >= 1, got {k}");
        if (x.Rank != 2 || !x.DType.IsFloating())
            throw new ArgumentException($"KNearestNeighbors.Fit: x must be a floating-point (n, d) matrix, got " +
                $"{Shapes.Format(x.Shape)}");
        int n = x.Shape[0];
        if (k > n) throw new ArgumentException($"KNearestNeighbors: k = {k} exceeds the {n} training samples");
        labels = Data.Labels("KNearestNeighbors.Fit", y, n, out classes);
        using var _ = Autograd.NoGrad();
        train = x.Detach().To(DType.Float32).Contiguous();
        trainNorms = (train * train).Sum(1).ToArray<float>();
    }

    /// <summary>The indices of the k nearest training samples, nearest first.   x: (m, d) → (m, k) Int64</summary>
    public Tensor Neighbors(Tensor x)
    {
        if (labels.Length == 0) throw Data.NotFitted("KNearestNeighbors");
        Data.Features("KNearestNeighbors.Predict", x, train.Shape[1]);
        using var _ = Autograd.NoGrad();
        var q = x.Detach().To(DType.Float32).Contiguous();
        int m = q.Shape[0], n = train.Shape[0];
        var result = new long[m * k];
        for (int start = 0; start < m; start += blockSize)
        {
            int rows = Math.Min(blockSize, m - start);
            // ‖q‖² is the same for every candidate of a query, so −2q·x + ‖x‖² ranks them.
            float[] dots = q.Narrow(0, start, rows).MatMul(train.T).ToArray<float>();     // (rows, n)
            Parallel.For(0, rows, r =>
            {
                var bestD = new float[k];
                var bestI = new int[k];
                int filled = 0;
                for (int j = 0; j < n; j++)
                {
                    float dist = trainNorms[j] - 2 * dots[(long)r * n + j];
                    if (filled == k && dist >= bestD[k - 1]) continue;
                    int pos = filled < k ? filled++ : k - 1;
                    while (pos > 0 && bestD[pos - 1] > dist)
                    {
                        bestD[pos] = bestD[pos - 1];
                        bestI[pos] = bestI[pos - 1];
                        pos--;
                    }
                    bestD[pos] = dist;
                    bestI[pos] = j;
                }
                for (int t = 0; t < k; t++) result[(long)(start + r) * k + t] = bestI[t];
            });
        }
        return Tensor.From(result, m, k);
    }

    /// <summary>The fraction of the k neighbours in each class.   x: (m, d) → (m, K)</summary>
    public Tensor PredictProba(Tensor x)
    {
        long[] nb = Neighbors(x).ToArray<long>();
        int m = nb.Length / k;
        var p = new double[m * classes];
        for (int i = 0; i < m; i++)
        {
            for (int t = 0; t < k; t++) p[i * classes + labels[nb[i * k + t]]] += 1.0 / k;
        }
        return Tensor.From(p, m, classes);
    }

    /// <summary>The majority label of the k neighbours (smallest label on ties).   x: (m, d) → (m) Int64</summary>
    public Tensor Predict(Tensor x)
    {
        long[] nb = Neighbors(x).ToArray<long>();
        int m = nb.Length / k;
        var y = new long[m];
        var votes = new int[classes];
        for (int i = 0; i < m; i++)
        {
            Array.Clear(votes);
            for (int t = 0; t < k; t++) votes[labels[nb[i * k + t]]]++;
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (votes[c] > votes[best]) best = c;
            }
            y[i] = best;
        }
        return Tensor.From(y, m);
    }
}
