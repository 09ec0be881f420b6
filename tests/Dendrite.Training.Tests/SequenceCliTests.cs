using Dendrite.Cli;
using Dendrite.IO;
using Dendrite.Models.Sequence;

namespace Dendrite.Tests;

/// <summary><c>dendrite train --task char-lm</c> on a small text file and <c>dendrite generate</c> on the
/// checkpoints of the character model and the name generator: the metadata rebuilds the model, the text streams,
/// and wrong requests fail with a message that names what is wrong.</summary>
[Collection("console")]
public sealed class SequenceCliTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dendrite-seq-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int Code, string Out, string Error) Cli(params string[] args) => ConsoleCli.Run(args);

    [Fact]
    public void TrainCharLm_WritesACheckpointThatGenerateContinues()
    {
        var text = Path.Combine(root, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the cat sat on the mat. ", 40)));
        var (code, output, error) = Cli("train", "--task", "char-lm", "--model", "gru", "--data", text, "--epochs",
            "1", "--batch", "4", "--runs", root, "--name", "lm");
        Assert.True(code == 0, error);
        Assert.Contains("validation", output);
        var ckpt = Path.Combine(root, "lm", "checkpoint.safetensors");
        var (_, meta) = Safetensors.Load(ckpt);
        Assert.Equal("char-lm", meta["generator"]);
        Assert.Equal("gru", meta["cell"]);

        var (genCode, generated, genError) = Cli("generate", "--checkpoint", ckpt, "--prompt", "the ", "--max-tokens",
            "30", "--temperature", "0.7", "--seed", "3");
        Assert.True(genCode == 0, genError);
        Assert.StartsWith("the ", generated);
        Assert.Equal(34, generated.TrimEnd('\n', '\r').Length);
        Assert.Equal(generated, Cli("generate", "--checkpoint", ckpt, "--prompt", "the ", "--max-tokens", "30",
            "--temperature", "0.7", "--seed", "3").Out);

        var (badCode, _, badError) = Cli("generate", "--checkpoint", ckpt, "--prompt", "a", "--top-k", "3");
        Assert.Equal(2, badCode);
        Assert.Contains("--top-k", badError);
    }

    [Fact]
    public void TrainSequenceTask_RefusesWhatItCannotDo()
    {
        var (code, _, error) = Cli("train", "--task", "char-lm", "--model", "bilstm", "--runs", root, "--name", "x");
        Assert.Equal(2, code);
        Assert.Contains("bilstm", error);
        (code, _, error) = Cli("train", "--task", "poetry", "--model", "lstm", "--runs", root, "--name", "y");
        Assert.Equal(2, code);
        Assert.Contains("poetry", error);
        (code, _, error) = Cli("train", "--task", "char-lm", "--model", "lstm", "--data", Path.Combine(root, "none"),
            "--runs", root, "--name", "z");
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
    }

    [Fact]
    public void GenerateNames_ReadsGenderAndFirstLetters()
    {
        Generator.ManualSeed(1);
        var model = new CharLanguageModel(new CharModelConfig("\nabmn", EmbeddingDim: 4, HiddenSize: 6,
            Conditions: 2), new Generator(1));
        var meta = model.Metadata("names");
        meta["conditions_names"] = "female,male";
        var ckpt = Path.Combine(root, "names.safetensors");
        Safetensors.Save(ckpt, model.StateDict(), meta);
        var (code, output, error) = Cli("generate", "--checkpoint", ckpt, "--prompt", "male:ma", "--count", "3",
            "--max-tokens", "5", "--seed", "2");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("ma", l));
        (code, output, error) = Cli("generate", "--checkpoint", ckpt, "--count", "2", "--max-tokens", "4");
        Assert.True(code == 0, error);
        Assert.Contains("(female)", output);
        Assert.Contains("(male)", output);
        (code, _, error) = Cli("generate", "--checkpoint", ckpt, "--prompt", "robot:a");
        Assert.Equal(2, code);
        Assert.Contains("female, male", error);
    }
}
