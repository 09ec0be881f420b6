using Dendrite.Cli;
using Dendrite.IO;
using Dendrite.Models.Energy;

namespace Dendrite.Tests;

// `dendrite generate` on RBM checkpoints (metadata generator=rbm) and the errors of `dendrite rbm`, without data sets.
[Collection("console")]
public class RbmCommandTests
{
    private static string Save(Rbm rbm, Dictionary<string, string> metadata, Dictionary<string, Tensor>? extra = null)
    {
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-rbm-{Guid.NewGuid():N}.safetensors");
        var tensors = rbm.StateDict();
        foreach (var (k, v) in extra ?? []) tensors[k] = v;
        Safetensors.Save(path, tensors, metadata);
        return path;
    }

    private static Dictionary<string, string> Metadata(string kind) => new()
    {
        ["generator"] = "rbm",
        ["visible_units"] = kind,
        ["visible"] = "16",
        ["hidden"] = "5",
        ["height"] = "4",
        ["width"] = "4",
    };

    private static GenerateRequest Request(string checkpoint, string? png) =>
        new(checkpoint, null, png, 6, 0, 1, null, null, 3, TextWriter.Null);

    [Theory]
    [InlineData("bernoulli")]
    [InlineData("gaussian")]
    public void Generate_WritesAGridOfGibbsSamples(string kind)
    {
        var g = new Generator(5);
        Rbm rbm = kind == "bernoulli" ? new BernoulliRbm(16, 5, g) : new GaussianBernoulliRbm(16, 5, g);
        rbm.Weight.CopyFrom(Tensor.Randn([5, 16], g));
        var extra = kind == "gaussian"
            ? new Dictionary<string, Tensor>
            {
                ["data_mean"] = Tensor.Full(0.5, 16),
                ["data_std"] = Tensor.Full(0.2, 16),
            }
            : null;
        string path = Save(rbm, Metadata(kind), extra);
        string png = Path.ChangeExtension(path, ".png");
        try
        {
            Assert.Equal(0, GenerateCommands.Run(Request(path, png)));
            var image = Image.Load(png);
            var v = image.ToArray<float>();
            Assert.True(v.Max() > v.Min(), "the grid is blank");
        }
        finally
        {
            File.Delete(path);
            File.Delete(png);
        }
    }

    [Fact]
    public void Generate_RejectsBadMetadata()
    {
        var rbm = new BernoulliRbm(16, 5);
        var bad = Metadata("bernoulli");
        bad["width"] = "5";
        string path = Save(rbm, bad);
        string png = Path.ChangeExtension(path, ".png");
        var error = new StringWriter();
        var old = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(2, GenerateCommands.Run(Request(path, png)));
            Assert.Contains("height 4 × width 5 is not 16 visible units", error.ToString(), StringComparison.Ordinal);
            Assert.Equal(2, GenerateCommands.Run(Request(path, null)));
            Assert.False(File.Exists(png));
        }
        finally
        {
            Console.SetError(old);
            File.Delete(path);
        }
    }

    [Fact]
    public void Rbm_RejectsUnknownDatasetAndVisibleKind()
    {
        var error = new StringWriter();
        var old = Console.Error;
        Console.SetError(error);
        try
        {
            var config = new RbmTrainingConfig(Epochs: 1);
            var cifar = new RbmRequest("cifar", null, "bernoulli", 8, config, 0, null, null, 0, 10, 0);
            Assert.Equal(2, RbmCommands.Run(cifar, TextWriter.Null));
            Assert.Contains("unknown dataset 'cifar'", error.ToString(), StringComparison.Ordinal);
            var poisson = new RbmRequest("mnist", null, "poisson", 8, config, 0, null, null, 0, 10, 0);
            Assert.Equal(2, RbmCommands.Run(poisson, TextWriter.Null));
            Assert.Contains("--visible must be bernoulli or gaussian", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Console.SetError(old);
        }
    }
}
