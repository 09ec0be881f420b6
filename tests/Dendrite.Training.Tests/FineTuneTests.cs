using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Training;

namespace Dendrite.Tests;

/// <summary>Fine-tuning a GPT as a sentence classifier on small synthetic data: the head's pooling, gradients into
/// the body, the trainer keeping its best weights, the split and padding, and the <c>finetune</c> and continued
/// <c>pretrain</c> commands.</summary>
[Collection("console")]
public sealed class FineTuneTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dendrite-ft-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    // Sentences whose label is which of two cue words they contain, among fillers; "x" never occurs.
    private static List<(string Text, long Label)> Sentences(int count, int seed)
    {
        var random = new Random(seed);
        string[] filler = ["ab", "ba", "cd", "dc", "ac", "ca"];
        var rows = new List<(string, long)>();
        for (int i = 0; i < count; i++)
        {
            long label = random.Next(2);
            var words = Enumerable.Range(0, random.Next(2, 7)).Select(_ => filler[random.Next(filler.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), label == 1 ? "yes" : "no");
            rows.Add((string.Join(' ', words), label));
        }
        return rows;
    }

    private static GptClassifier Classifier(GptPooling pooling, int vocab = 12) =>
        new(new Gpt(new GptConfig(vocab, 8, 2, 2, 8), new Generator(2)), 3, new Generator(4), pooling);

    [Theory]
    [InlineData(GptPooling.LastToken)]
    [InlineData(GptPooling.Mean)]
    public void GptClassifier_PaddingChangesNothingAndGetsNoGradient(GptPooling pooling)
    {
        var classifier = Classifier(pooling).Eval();
        var lengths = Tensor.From([2L, 3, 1], 3);
        var ids = Tensor.From([1L, 2, 11, 4, 5, 6, 7, 11, 11], 3, 3);                 // 11: the padding id
        var logits = classifier.Forward(ids, lengths);
        Assert.Equal([3, 3], logits.Shape.ToArray());
        var repadded = Tensor.From([1L, 2, 9, 4, 5, 6, 7, 3, 0], 3, 3);
        var again = classifier.Forward(repadded, lengths).ToFloatArray();
        var first = logits.ToFloatArray();
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], again[i], 5);

        // The loss reaches the head, every block and the embedding rows of the real tokens, not the padding's.
        Losses.CrossEntropy(classifier.Forward(ids, lengths), Tensor.From([0L, 1, 2], 3)).Backward();
        Assert.True(classifier.Head.Weight.Grad!.Abs().Max().Item() > 0);
        foreach (var block in classifier.Gpt.Transformer.H)
            Assert.True(block.Attn.CAttn.Weight.Grad!.Abs().Max().Item() > 0);
        var wte = classifier.Gpt.Transformer.Wte.Weight.Grad!;
        Assert.True(wte.Select(0, 1).Abs().Max().Item() > 0);
        Assert.Equal(0.0, wte.Select(0, 11).Abs().Max().Item());
    }

    [Fact]
    public void GptClassifier_MeanPoolingAveragesTheRealPositions()
    {
        var classifier = Classifier(GptPooling.Mean).Eval();
        var ids = Tensor.From([1L, 2, 3, 11], 1, 4);
        var h = classifier.Hidden(ids);                                                // (1, 4, E)
        var expected = classifier.Head.Forward(h.Narrow(1, 0, 3).Mean(1)).ToFloatArray();
        var actual = classifier.Forward(ids, Tensor.From([3L], 1)).ToFloatArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 5);
        var e = Assert.Throws<ArgumentException>(() => classifier.Forward(ids, Tensor.From([5L], 1)));
        Assert.Contains("length 5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelledTokens_SplitsDisjointlyAndPadsAtTheEnd()
    {
        var rows = Sentences(50, 1);
        var (train, val, test) = LabelledTokens.Split(rows, 0.1, new Generator(3));
        Assert.Equal((40, 5, 5), (train.Count, val.Count, test.Count));
        Assert.Equal(50, train.Concat(val).Concat(test).Distinct().Count());
        var again = LabelledTokens.Split(rows, 0.1, new Generator(3));
        Assert.Equal(test, again.Test);

        var chars = CharTokenizer.Train(string.Concat(rows.Select(r => r.Text)));
        var tokens = LabelledTokens.Encode(chars, [("ab", 0), ("yes ab", 1)], maxTokens: 4, out int cut);
        Assert.Equal(1, cut);
        var (ids, lengths, labels) = tokens.Batch([1, 0], padId: 0);
        Assert.Equal([2, 4], ids.Shape.ToArray());
        Assert.Equal([4L, 2], lengths.ToArray<long>());
        Assert.Equal([1L, 0], labels.ToArray<long>());
        Assert.Equal(chars.Encode("ab").Select(i => (long)i).Concat([0L, 0]), ids.Select(0, 1).ToArray<long>());
    }

    [Fact]
    public void Trainer_LearnsTheCueWordAndKeepsTheBestWeights()
    {
        var rows = Sentences(400, 5);
        var chars = CharTokenizer.Train(string.Concat(rows.Select(r => r.Text)));
        var (trainRows, valRows, testRows) = LabelledTokens.Split(rows, 0.1, new Generator(1));
        var train = LabelledTokens.Encode(chars, trainRows, 32, out _);
        var val = LabelledTokens.Encode(chars, valRows, 32, out _);
        var test = LabelledTokens.Encode(chars, testRows, 32, out _);
        var classifier = new GptClassifier(new Gpt(new GptConfig(chars.VocabSize, 32, 1, 2, 16), new Generator(3)),
            2, new Generator(4));
        var options = new FineTuneOptions(Steps: 120, BatchSize: 16, Lr: 3e-3, WarmupSteps: 10, EvalEvery: 30);
        var trainer = new SequenceClassifierTrainer(classifier, classifier.Forward, train, val, options);
        var before = trainer.Evaluate(test);
        trainer.Run();
        Assert.Equal([30, 60, 90, 120], trainer.History.Select(p => p.Step));
        Assert.Equal(trainer.History.Max(p => p.ValidationAccuracy), trainer.Best!.ValidationAccuracy);
        Assert.Equal(trainer.Best.ValidationAccuracy, trainer.Evaluate(val).Accuracy, 9);  // best weights restored
        var after = trainer.Evaluate(test);
        Assert.True(after.Accuracy >= 0.9 && after.Loss < before.Loss, $"{before} → {after}");
    }

    private static (int Code, string Out, string Error) Cli(params string[] args) => ConsoleCli.Run(args);

    [Fact]
    public void Cli_FinetuneAndContinuedPretraining()
    {
        string text = Path.Combine(root, "text.txt");
        File.WriteAllText(text, string.Join('\n', Sentences(300, 7).Select(r => r.Text)));
        string other = Path.Combine(root, "other.txt");
        File.WriteAllText(other, string.Join('\n', Sentences(300, 8).Select(r => r.Text.ToUpperInvariant())));
        string ckpt = Path.Combine(root, "base.safetensors");
        var (code, output, error) = Cli("pretrain", "--corpus", text, "--tokenizer", "bpe", "--vocab-size", "270",
            "--layers", "1", "--heads", "2", "--embedding", "16", "--context", "32", "--steps", "4", "--warmup", "1",
            "--batch", "4", "--eval-every", "4", "--eval-windows", "2", "--out", ckpt);
        Assert.True(code == 0, error + output);

        string csv = Path.Combine(root, "labels.csv");
        File.WriteAllLines(csv, Sentences(120, 9).Select(r => $"\"{(r.Label == 1 ? "pos" : "neg")}\",\"{r.Text}\""));
        string plot = Path.Combine(root, "ft.png");
        (code, output, error) = Cli("finetune", "--checkpoint", ckpt, "--data", csv, "--steps", "6", "--warmup",
            "1", "--batch", "8", "--eval-every", "3", "--pooling", "mean", "--plot", plot);
        Assert.True(code == 0, error + output);
        Assert.Contains("2 classes (neg, pos)", output, StringComparison.Ordinal);
        Assert.Contains("| pre-trained |", output, StringComparison.Ordinal);
        Assert.Contains("| from scratch |", output, StringComparison.Ordinal);
        Assert.True(File.Exists(plot) && File.Exists(Path.Combine(root, "ft-loss.png")));

        (code, _, error) = Cli("finetune", "--checkpoint", Path.Combine(root, "none.safetensors"), "--data", csv);
        Assert.Equal(2, code);
        Assert.Contains("none.safetensors", error, StringComparison.Ordinal);

        // Continued pre-training and its from-scratch control, each scored on both corpora before and after.
        foreach (var start in new[] { "--init-from", "--tokenizer-from" })
        {
            (code, output, error) = Cli("pretrain", "--corpus", other, start, ckpt, "--eval-also", text, "--steps",
                "4", "--warmup", "1", "--batch", "4", "--context", "32", "--layers", "1", "--heads", "2",
                "--embedding", "16", "--eval-every", "4", "--eval-windows", "2", "--out",
                Path.Combine(root, "second.safetensors"));
            Assert.True(code == 0, error + output);
            Assert.Contains($"before: {text} validation", output, StringComparison.Ordinal);
            Assert.Contains($"after: {other} validation", output, StringComparison.Ordinal);
        }
        Assert.Equal("bpe", Safetensors.Load(Path.Combine(root, "second.safetensors")).Metadata["tokenizer"]);
    }
}
