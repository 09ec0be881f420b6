using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.IO;

namespace Dendrite.Tests;

/// <summary>The CLI's <c>train</c> on a tiny Fashion-MNIST-shaped data set (200 training and 50 test images of
/// noise): validation held out of the training images, the test set used once, one run per folder, and the errors a
/// newcomer meets with checkpoints that are not from the zoo.</summary>
[Collection("console")]
public sealed class CliRunTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dendrite-cli-").FullName;

    public CliRunTests()
    {
        NoiseFashionMnist.Write(Data, 200, 50, 3);
    }

    private string Data => Directory.CreateDirectory(Path.Combine(root, "data")).FullName;

    private string Runs => Path.Combine(root, "runs");

    public void Dispose() => Directory.Delete(root, recursive: true);

    // Runs the command line and returns its exit code, standard output and standard error.
    private static (int Code, string Out, string Error) Cli(params string[] args) => ConsoleCli.Run(args);

    private (int Code, string Out, string Error) Train(string name, params string[] more) =>
        Cli(["train", "--data", Data, "--runs", Runs, "--name", name, "--epochs", "1", "--batch", "50", .. more]);

    [Fact]
    public void Train_ValidatesOnHeldOutTrainingImagesAndTestsOnce()
    {
        Assert.Equal(0.1, TrainingCommands.DefaultValSplit);
        var (code, output, error) = Train("split");
        Assert.True(code == 0, error);
        // 10 % of the 200 training images (20, stratified) validate; the 50 test images are used once, at the end.
        Assert.Contains("train [180,1,28,28], validation [20,1,28,28]", output);
        Assert.Contains("epoch 1/1: train loss", output);
        Assert.Contains("| validation loss", output);
        Assert.Single(output.Split('\n'), l => l.StartsWith("test accuracy:", StringComparison.Ordinal));
        Assert.Contains("on 50 images", output);
        Assert.Contains("validation accuracy:", output);
        var rows = File.ReadAllLines(Path.Combine(Runs, "split", "metrics.csv"));
        Assert.Equal("epoch,train_loss,train_acc,val_loss,val_acc,seconds,lr", rows[0]);
        Assert.NotEqual("", rows[1].Split(',')[3]);
    }

    [Fact]
    public void Train_OneEpochCurvesShowBothSeriesAsPoints()
    {
        var (code, _, error) = Train("curves");
        Assert.True(code == 0, error);
        var image = Image.Load(Path.Combine(Runs, "curves", "loss.png"),
            new ImageReadOptions(ImageColor.Rgb, Scale: false));
        int h = image.Size(1), w = image.Size(2), n = h * w;
        var v = image.ToArray<float>();
        foreach (var hex in Plots.Palette.Take(2))
        {
            int r = Convert.ToInt32(hex[1..3], 16), gr = Convert.ToInt32(hex[3..5], 16);
            int b = Convert.ToInt32(hex[5..7], 16);
            int count = Enumerable.Range(0, n).Count(i => v[i] == r && v[n + i] == gr && v[2 * n + i] == b);
            Assert.True(count >= 12, $"series colour {hex}: {count} pixels; a one-epoch history must show a marker");
        }
    }

    [Fact]
    public void Curves_OneEpochHasOnlyIntegerEpochTicks()
    {
        // Losses far above the epochs (150–170), so every number under 10 in the figure is an epoch tick label.
        string dir = Directory.CreateDirectory(Path.Combine(root, "svg")).FullName;
        File.WriteAllText(Path.Combine(dir, "metrics.csv"),
            "epoch,train_loss,train_acc,val_loss,val_acc,seconds,lr\n1,150,0.78,170,0.8,2.5,0.001\n");
        TrainingCommands.WriteCurves(dir, "svg");
        var texts = System.Xml.Linq.XDocument.Load(Path.Combine(dir, "loss.svg")).Descendants()
            .Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()).ToList();
        Assert.Contains("epoch", texts);
        var ticks = texts
            .Select(t => double.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : -1)
            .Where(v => v is >= 0 and < 10).ToList();
        Assert.Contains(1.0, ticks);
        Assert.All(ticks, v => Assert.Equal(Math.Round(v), v));
    }

    [Fact]
    public void Rerun_RefusesUnlessOverwriteAndNeverMixesEventFiles()
    {
        Assert.Equal(0, Train("again").Code);
        string dir = Path.Combine(Runs, "again");
        var first = Directory.GetFiles(dir, "events.out.tfevents.*");
        Assert.Single(first);
        var (code, _, error) = Train("again");
        Assert.Equal(2, code);
        Assert.Contains("already holds a run", error);
        Assert.Contains("--overwrite", error);
        Assert.Equal(first, Directory.GetFiles(dir, "events.out.tfevents.*"));
        (code, var output, error) = Train("again", "--overwrite");
        Assert.True(code == 0, error);
        Assert.Contains("--overwrite: deleted the earlier run", output);
        Assert.Single(Directory.GetFiles(dir, "events.out.tfevents.*"));
    }

    [Fact]
    public void Train_RecordsTheRecipe_AndResumeKeepsIt()
    {
        (int, string, string) Run(params string[] more) =>
            Cli(["train", "--data", Data, "--runs", Runs, "--name", "recipe", "--batch", "50", .. more]);
        var (code, output, error) = Run("--epochs", "3", "--optimizer", "nesterov", "--lr", "0.05",
            "--augment", "Crop:2, flip", "--weight-decay", "5e-4", "--warmup", "2", "--label-smoothing", "0.1",
            "--val-split", "0");
        Assert.True(code == 0, error);
        Assert.Contains("recipe: augment crop:2,flip, weight decay 0.0005, warm-up 2 epochs, label smoothing 0.1",
            output);
        string ckpt = Path.Combine(Runs, "recipe", "checkpoint.safetensors");
        var meta = Safetensors.Load(ckpt).Metadata;
        Assert.Equal("crop:2,flip", meta["augment"]);
        Assert.Equal("0.0005", meta["weight_decay"]);
        Assert.Equal("2", meta["warmup_epochs"]);
        Assert.Equal("0.1", meta["label_smoothing"]);
        // Warm-up over two epochs (0.05 · 1/2, 0.05 · 2/2), then cosine over the one epoch left, starting at 0.05.
        var lrs = File.ReadAllLines(Path.Combine(Runs, "recipe", "metrics.csv")).Skip(1)
            .Select(r => r.Split(',')[6]).ToList();
        Assert.Equal(["0.025", "0.05", "0.05"], lrs);
        // A resumed run keeps the recorded recipe, and refuses a different one.
        (code, _, error) = Run("--epochs", "4", "--optimizer", "nesterov", "--lr", "0.05", "--resume",
            "--augment", "flip", "--val-split", "0");
        Assert.Equal(2, code);
        Assert.Contains("--augment flip differs from the crop:2,flip", error);
        (code, output, error) = Run("--epochs", "4", "--optimizer", "nesterov", "--lr", "0.05",
            "--resume", "--val-split", "0", "--augment", "crop:2,flip");
        Assert.True(code == 0, error);
        Assert.Contains("recipe: augment crop:2,flip, weight decay 0.0005, warm-up 2 epochs", output);
        Assert.Contains("epoch 4/4", output);
    }

    [Theory]
    [InlineData("--augment", "crop:x", "step 'crop' has amount 'x', not a number")]
    [InlineData("--augment", "spin", "unknown step 'spin'")]
    [InlineData("--label-smoothing", "1", "--label-smoothing must be in [0, 1)")]
    [InlineData("--warmup", "1", "--warmup must be in [0, 1) epochs")]
    [InlineData("--weight-decay", "-1", "--weight-decay must be >= 0")]
    public void Train_RefusesABadRecipe(string option, string value, string message)
    {
        var (code, _, error) = Train("bad", option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(Path.Combine(Runs, "bad")));
    }

    [Fact]
    public void FailedResume_LeavesNoRunFolder()
    {
        var (code, _, error) = Train("never", "--resume");
        Assert.Equal(2, code);
        Assert.Contains("checkpoint.safetensors does not exist", error);
        Assert.False(Directory.Exists(Path.Combine(Runs, "never")));
    }

    [Fact]
    public void Eval_CheckpointOfACustomModelSaysWhatItHoldsAndHowToLoadIt()
    {
        string path = Path.Combine(root, "custom.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["encoder.weight"] = Tensor.Zeros(2, 3) },
            new Dictionary<string, string> { ["note"] = "mine" });
        var (code, _, error) = Cli("eval", "--checkpoint", path, "--data", Data);
        Assert.Equal(2, code);
        Assert.Contains("metadata has no 'zoo_model' key", error);
        Assert.Contains("not a checkpoint of a zoo model", error);
        Assert.Contains("encoder.weight [2,3]", error);
        Assert.Contains("note=mine", error);
        Assert.Contains("model.LoadStateDict(Safetensors.Load(path).Tensors)", error);
        (code, _, error) = Cli("predict", "--checkpoint", path, path);
        Assert.Equal(2, code);
        Assert.Contains("encoder.weight [2,3]", error);
    }
}
