using System.Diagnostics;

namespace Dendrite.Models.Classic;

/// <summary>Settings of <see cref="BaselineSuite.Run"/>: k of k-NN, PCA components, L-BFGS iterations and C of the
/// softmax regressions.</summary>
public sealed record BaselineOptions(int Neighbors = 5, int Components = 50, int MaxIterations = 200, double C = 1.0);

/// <summary>One row of the baseline table: test accuracy and the seconds spent fitting and predicting.</summary>
public sealed record BaselineResult(string Model, double Accuracy, double FitSeconds, double PredictSeconds);

/// <summary>The course's default classification baselines on one train/test split: majority class, softmax
/// (multinomial logistic) regression on the features, k-NN, and PCA followed by softmax regression.</summary>
public static class BaselineSuite
{
    /// <summary>Fits each baseline on (xTrain, yTrain) and scores it on (xTest, yTest); <paramref name="progress"/>
    /// hears each row as it finishes.   x: (n, d) float, y: (n) Int64</summary>
    public static IReadOnlyList<BaselineResult> Run(Tensor xTrain, Tensor yTrain, Tensor xTest, Tensor yTest,
        BaselineOptions? options = null, Action<BaselineResult>? progress = null)
    {
        options ??= new BaselineOptions();
        var results = new List<BaselineResult>();
        void Add(BaselineResult r)
        {
            results.Add(r);
            progress?.Invoke(r);
        }
        Add(Time(new MajorityClassifier(), xTrain, yTrain, xTest, yTest));
        Add(Time(new SoftmaxRegression(options.C, options.MaxIterations), xTrain, yTrain, xTest, yTest) with
        {
            Model = "logistic regression (softmax)",
        });
        Add(Time(new KNearestNeighbors(options.Neighbors), xTrain, yTrain, xTest, yTest));

        var clock = Stopwatch.StartNew();
        var pca = new Pca(options.Components).Fit(xTrain);
        var zTrain = pca.Transform(xTrain);
        var softmax = new SoftmaxRegression(options.C, options.MaxIterations);
        softmax.Fit(zTrain, yTrain);
        double fit = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var predicted = softmax.Predict(pca.Transform(xTest));
        double predict = clock.Elapsed.TotalSeconds;
        Add(new BaselineResult($"PCA ({options.Components}) + logistic regression", Scores.Accuracy(predicted, yTest),
            fit, predict));
        return results;
    }

    private static BaselineResult Time(IEstimator model, Tensor xTrain, Tensor yTrain, Tensor xTest, Tensor yTest)
    {
        var clock = Stopwatch.StartNew();
        model.Fit(xTrain, yTrain);
        double fit = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var predicted = model.Predict(xTest);
        double predict = clock.Elapsed.TotalSeconds;
        return new BaselineResult(model.Name, Scores.Accuracy(predicted, yTest), fit, predict);
    }
}
