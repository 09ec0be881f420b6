using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.Experiments.Generative;
using Dendrite.Models.Generative;

namespace Dendrite.Tests;

/// <summary><c>dendrite gan</c> and <c>dendrite generate</c> on GAN checkpoints, on a tiny Fashion-MNIST-shaped data
/// set of noise; the classifier that measures generated images.</summary>
[Collection("console")]
public sealed class GanCliTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dendrite-gan-").FullName;

    public GanCliTests()
    {
        NoiseFashionMnist.Write(Data, 48, 16, 3);
    }

    private string Data => Directory.CreateDirectory(Path.Combine(root, "data")).FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private GanTrainingOptions Options(GanKind kind, int epochs) =>
        new(new GanConfig(kind, LatentSize: 8, Classes: 10, Hidden: 16), epochs, Path.Combine(root, kind.ToString()),
            BatchSize: 16, DataFolder: Data, Resume: true);

    [Theory]
    [InlineData(GanKind.Vanilla)]
    [InlineData(GanKind.Conditional)]
    public void Gan_TrainsResumesAndGeneratesAGrid(GanKind kind)
    {
        var log = new StringWriter();
        Assert.Equal(0, GanCommands.Run(Options(kind, 1), 0, log));
        Assert.Equal(0, GanCommands.Run(Options(kind, 2), 0, log));
        var text = log.ToString();
        Assert.Contains("epoch 1/1", text);
        Assert.Contains("resumed", text);
        Assert.Contains("epoch 2/2", text);
        var folder = Path.Combine(root, kind.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "grids", "epoch-002.png")));

        var grid = Path.Combine(root, $"{kind}.png");
        var checkpoint = Path.Combine(folder, "gan.safetensors");
        var output = new StringWriter();
        int code = GenerateCommands.Run(new GenerateRequest(checkpoint, null, grid, 20, 0, 1, null, null, 7, output));
        Assert.Equal(0, code);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(grid)[..4]);
        Assert.Contains("20 samples", output.ToString());
    }

    [Fact]
    public void Generate_RefusesAGanCheckpointWithBadMetadata()
    {
        Assert.Equal(0, GanCommands.Run(Options(GanKind.Vanilla, 1), 0, new StringWriter()));
        var checkpoint = Path.Combine(root, nameof(GanKind.Vanilla), "gan.safetensors");
        var (tensors, meta) = Dendrite.IO.Safetensors.Load(checkpoint);
        meta["hidden"] = "-3";
        Dendrite.IO.Safetensors.Save(checkpoint, tensors, meta);
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try
        {
            int code = GenerateCommands.Run(new GenerateRequest(checkpoint, null, Path.Combine(root, "x.png"), 4, 0, 1,
                null, null, 0, new StringWriter()));
            Assert.Equal(2, code);
        }
        finally
        {
            Console.SetError(saved);
        }
        Assert.Contains("'hidden'", error.ToString());
        Assert.False(File.Exists(Path.Combine(root, "x.png")));
    }

    [Fact]
    public void FashionClassifier_FeaturesPredictionsAndShapeErrors()
    {
        Generator.ManualSeed(1);
        var classifier = new FashionClassifier();
        var (images, labels) = GanImages.Load(Data, "train");
        Assert.All(images.ToArray<float>(), v => Assert.InRange(v, -1f, 1f));
        Assert.Equal([48, FashionClassifier.FeatureSize], classifier.Embed(images, batchSize: 20).Shape.ToArray());
        var predicted = classifier.Predict(images);
        Assert.Equal(DType.Int64, predicted.DType);
        Assert.Equal([48], predicted.Shape.ToArray());
        // Memorising 48 noise images shows that Fit trains what Predict reads.
        classifier.Fit(images, labels, 30, new Generator(2), batchSize: 16);
        Assert.True(classifier.Accuracy(images, labels) > 0.9);
        var e = Assert.Throws<ArgumentException>(() => classifier.Features(Tensor.Zeros(2, 784)));
        Assert.Contains("[2,784]", e.Message);
    }
}
