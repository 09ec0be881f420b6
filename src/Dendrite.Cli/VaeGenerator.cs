using Dendrite.Models.Generative;

namespace Dendrite.Cli;

/// <summary>Samples a grid of images from a VAE checkpoint written by <c>dendrite autoencoder --kind vae</c>: the
/// decoder's mean for z ~ N(0, I).</summary>
internal sealed class VaeGenerator : ICheckpointGenerator
{
    /// <summary>The metadata value that names this kind.</summary>
    public const string KindName = "vae";

    /// <inheritdoc/>
    public string Kind => KindName;

    /// <inheritdoc/>
    public string Description => "variational autoencoder: a PNG grid of images decoded from z ~ N(0, I)";

    /// <inheritdoc/>
    public int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        if (request.Out is null) throw new ArgumentException("generate: a VAE writes an image grid; give --out grid.png");
        if (request.Count < 1) throw new ArgumentException($"generate: --count must be >= 1, got {request.Count}");
        var vae = new Vae(VaeConfig.FromMetadata(metadata));
        vae.LoadStateDict(tensors);
        var samples = vae.Sample(request.Count, new Generator(request.Seed));
        AutoencoderCommands.WriteGrid(request.Out, samples, (int)Math.Ceiling(Math.Sqrt(request.Count)), request.Output);
        return 0;
    }
}
