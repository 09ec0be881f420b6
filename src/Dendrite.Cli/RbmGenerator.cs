using System.Globalization;
using Dendrite.IO;
using Dendrite.Models.Energy;

namespace Dendrite.Cli;

/// <summary>Samples an RBM checkpoint written by <c>dendrite rbm</c>: independent Gibbs chains from random states,
/// drawn as a grid of E[v | h] images.</summary>
internal sealed class RbmGenerator : ICheckpointGenerator
{
    /// <summary>Gibbs steps per chain.</summary>
    public const int Steps = 1000;

    /// <inheritdoc/>
    public string Kind => "rbm";

    /// <inheritdoc/>
    public string Description => $"restricted Boltzmann machine: a PNG grid of {Steps}-step Gibbs samples";

    /// <inheritdoc/>
    public int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        if (request.Out is null) throw new ArgumentException("generate: an RBM draws images; give --out grid.png");
        if (request.Count < 1) throw new ArgumentException($"generate: --count must be >= 1, got {request.Count}");
        string path = request.Checkpoint;
        int visible = Int(metadata, "visible", path), hidden = Int(metadata, "hidden", path);
        int height = Int(metadata, "height", path), width = Int(metadata, "width", path);
        if (height * width != visible)
            throw new IOException(
                $"generate: {request.Checkpoint}: height {height} × width {width} is not {visible} visible units");
        string kind = metadata.GetValueOrDefault("visible_units", "bernoulli");
        Rbm rbm = kind switch
        {
            "bernoulli" => new BernoulliRbm(visible, hidden),
            "gaussian" => new GaussianBernoulliRbm(visible, hidden),
            _ => throw new IOException(
                $"generate: {request.Checkpoint}: metadata visible_units '{kind}' is not bernoulli or gaussian"),
        };
        rbm.LoadStateDict(tensors.Where(p => !p.Key.StartsWith("data_", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value));
        var samples = rbm.Sample(request.Count, Steps, new Generator(request.Seed));    // (count, V)
        if (kind == "gaussian")
        {
            using var _ = Autograd.NoGrad();
            samples = samples * tensors["data_std"] + tensors["data_mean"];
        }
        Plots.ImageGrid(request.Out, samples.Contiguous().Reshape(request.Count, height, width),
            new ImageGridOptions
            {
                Title = $"RBM samples after {Steps} Gibbs steps",
                Scale = 2,
                Normalization = kind == "gaussian" ? ImageNormalization.PerImage : ImageNormalization.None
            });
        request.Output.WriteLine($"wrote {request.Out}: {request.Count} samples, {Steps} Gibbs steps each");
        return 0;
    }

    private static int Int(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var s) &&
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
            ? v
            : throw new IOException($"generate: {path}: metadata '{key}' is missing or not a positive integer");
}
