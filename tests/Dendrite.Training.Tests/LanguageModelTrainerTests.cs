using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Training;

namespace Dendrite.Tests;

/// <summary>GPT pre-training on tiny synthetic text: the loss falls below the bigram baseline, a resumed run ends
/// where an uninterrupted one does, checkpoints rebuild the model and tokenizer, and the CLI writes a checkpoint
/// that <c>dendrite generate</c> samples from.</summary>
[Collection("console")]
public sealed class LanguageModelTrainerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dendrite-lm-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    // A text whose next character depends on the two before it, so a bigram model cannot learn it all.
    private static string Text(int n, int seed)
    {
        var random = new Random(seed);
        string[] words = ["abc", "abd", "bca", "cab", "dab", "dcb"];
        var text = new System.Text.StringBuilder();
        while (text.Length < n) text.Append(words[random.Next(words.Length)]).Append(random.Next(3) == 0 ? '\n' : ' ');
        return text.ToString();
    }

    private static (Gpt Model, LanguageModelTrainer Trainer) Make(PretrainOptions options)
    {
        var tokenizer = CharTokenizer.Train(Text(4000, 1));
        var train = TokenCorpus.Encode(tokenizer, Text(4000, 1));
        var val = TokenCorpus.Encode(tokenizer, Text(600, 2));
        var model = new Gpt(new GptConfig(tokenizer.VocabSize, 16, 1, 2, 16), new Generator(5));
        return (model, new LanguageModelTrainer(model, model.Forward, train, val, options));
    }

    [Fact]
    public void Pretrain_BeatsBigramBaselineAndSchedulesTheRate()
    {
        var options = new PretrainOptions(Steps: 150, BatchSize: 8, Context: 16, Lr: 1e-2, WarmupSteps: 10,
            EvalEvery: 50, EvalWindows: null);
        var (_, trainer) = Make(options);
        var before = trainer.Evaluate(trainer.Validation);
        Assert.Equal(options.Lr / 10, trainer.LearningRate, 12);   // warm-up starts at η/10
        trainer.Run();
        Assert.Equal(150, trainer.Step);
        Assert.Equal([50, 100, 150], trainer.History.Select(p => p.Step));
        Assert.Equal(options.Lr * options.MinLrFactor, trainer.LearningRate, 9);
        var after = trainer.Evaluate(trainer.Validation);
        double bigram = NGramModel.Bigram(trainer.Train.Tokens, trainer.Train.VocabSize)
            .NatsPerToken(trainer.Validation.Tokens);
        Assert.True(after.NatsPerToken < before.NatsPerToken - 0.5, $"{before} → {after}");
        Assert.True(after.NatsPerToken < bigram, $"GPT {after.NatsPerToken:F3} vs bigram {bigram:F3} nats/token");
        Assert.Equal(trainer.Validation.Tokens.Length - 1, after.Tokens);
        Assert.Equal(after.NatsPerToken / Math.Log(2) * after.Tokens / trainer.Validation.Characters,
            after.BitsPerCharacter, 9);
    }

    [Fact]
    public void Resume_EndsWhereAnUninterruptedRunEnds()
    {
        var options = new PretrainOptions(Steps: 8, BatchSize: 4, Context: 16, Lr: 5e-3, WarmupSteps: 2,
            EvalEvery: 4, EvalWindows: 2);
        var (straight, straightTrainer) = Make(options);
        straightTrainer.Run();

        string path = Path.Combine(root, "run.safetensors");
        var (first, firstTrainer) = Make(options with { });
        for (int i = 0; i < 4; i++) firstTrainer.TrainStep();
        firstTrainer.Save(path, first.Config.ToMetadata(), 0);
        Assert.True(File.Exists(LanguageModelTrainer.OptimizerPath(path)));

        var (resumed, resumedTrainer) = Make(options);
        resumedTrainer.Resume(path);
        Assert.Equal(4, resumedTrainer.Step);
        resumedTrainer.Run();
        foreach (var ((name, a), (_, b)) in straight.StateDict().Zip(resumed.StateDict()))
        {
            var x = a.ToFloatArray();
            var y = b.ToFloatArray();
            for (int i = 0; i < x.Length; i++)
                Assert.True(Math.Abs(x[i] - y[i]) < 1e-6, $"{name}[{i}]: {x[i]} vs {y[i]}");
        }

        File.Delete(LanguageModelTrainer.OptimizerPath(path));
        var e = Assert.Throws<IOException>(() => Make(options).Trainer.Resume(path));
        Assert.Contains("optimizer state", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GptClassifier_PoolsTheLastRealToken()
    {
        var config = new GptConfig(11, 8, 2, 2, 8, LayerNormEps: 1e-6);
        var back = new Gpt(config, new Generator(2));
        var ids = Tensor.From([1L, 2, 3, 4, 5, 6], 2, 3);
        var classifier = new GptClassifier(back, 3, new Generator(4)).Eval();
        var lengths = Tensor.From([2L, 3], 2);
        var logits = classifier.Forward(ids, lengths);
        Assert.Equal([2, 3], logits.Shape.ToArray());
        // Changing what follows the last real token (padding) does not change the prediction.
        var padded = Tensor.From([1L, 2, 9, 4, 5, 6], 2, 3);
        Assert.Equal(logits.ToFloatArray(), classifier.Forward(padded, lengths).ToFloatArray());
    }

    private static (int Code, string Out, string Error) Cli(params string[] args) => ConsoleCli.Run(args);

    [Fact]
    public void Cli_PretrainWritesACheckpointThatGenerateSamples()
    {
        string text = Path.Combine(root, "text.txt");
        File.WriteAllText(text, Text(3000, 3));
        string ckpt = Path.Combine(root, "tiny.safetensors");
        var (code, output, error) = Cli("pretrain", "--corpus", text, "--tokenizer", "bpe", "--vocab-size", "270",
            "--layers", "1", "--heads", "2", "--embedding", "16", "--context", "16", "--steps", "6", "--warmup", "2",
            "--batch", "4", "--eval-every", "3", "--eval-windows", "2", "--out", ckpt);
        Assert.True(code == 0, error + output);
        Assert.Contains("baseline bigram", output, StringComparison.Ordinal);
        Assert.Contains("step      6", output, StringComparison.Ordinal);
        var (_, meta) = Safetensors.Load(ckpt);
        Assert.Equal("gpt", meta["generator"]);
        Assert.Equal("bpe", meta["tokenizer"]);

        (code, output, error) = Cli("pretrain", "--corpus", text, "--steps", "8", "--eval-every", "4",
            "--eval-windows", "2", "--batch", "4", "--warmup", "2", "--out", ckpt, "--resume");
        Assert.True(code == 0, error + output);
        Assert.Contains("resuming", output, StringComparison.Ordinal);
        Assert.Contains("step      8", output, StringComparison.Ordinal);

        (code, output, error) = Cli("generate", "--checkpoint", ckpt, "--prompt", "abc", "--max-tokens", "12",
            "--seed", "7");
        Assert.True(code == 0, error);
        Assert.StartsWith("abc", output, StringComparison.Ordinal);
        var again = Cli("generate", "--checkpoint", ckpt, "--prompt", "abc", "--max-tokens", "12", "--seed", "7");
        Assert.Equal(output, again.Out);

        (code, _, error) = Cli("pretrain", "--corpus", Path.Combine(root, "none.txt"), "--out", ckpt);
        Assert.Equal(2, code);
        Assert.Contains("none.txt", error, StringComparison.Ordinal);
    }
}
