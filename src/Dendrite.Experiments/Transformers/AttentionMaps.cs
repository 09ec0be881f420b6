using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Training;

namespace Dendrite.Experiments.Transformers;

/// <summary>Attention maps of a GPT trained on text: per layer and head, which earlier tokens each token reads.
/// </summary>
public sealed class AttentionMaps : Experiment
{
    /// <inheritdoc/>
    public override string Name => "attention";

    /// <inheritdoc/>
    public override string Topic => "transformers";

    /// <inheritdoc/>
    public override string Summary => "attention maps of a character GPT trained on Jane Austen, per layer and head";

    /// <inheritdoc/>
    public override string Claim => """
        In a decoder-only Transformer each position attends only to itself and the positions before it (the causal
        mask), with weights that sum to one. After training on text, heads specialise: some put most of their weight
        on the previous character or the current one (local, n-gram-like heads), others spread it over the
        preceding word or further back (Vaswani et al. 2017; Elhage et al. 2021 on previous-token heads).
        """;

    // A text for the quick form: short, repetitive, with structure a tiny model learns in a few dozen steps.
    private static string TinyText()
    {
        string[] words = ["the cat sat", "the dog ran", "a cat ran", "a dog sat"];
        var g = new Random(1);
        return string.Join(". ", Enumerable.Range(0, 300).Select(_ => words[g.Next(words.Length)])) + ".";
    }

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        bool quick = context.Quick;
        string text = quick ? TinyText() : TextCorpora.Load("austen");
        string sentence = context.Choose("It is a truth universally acknowledged, that a single man",
            "the cat sat. a dog ran");
        var (trainText, valText) = TokenCorpus.SplitText(text, 0.1);
        var tokenizer = CharTokenizer.Train(text);
        var config = context.Choose(new GptConfig(tokenizer.VocabSize, 64, 2, 4, 64),
            new GptConfig(tokenizer.VocabSize, 32, 1, 2, 16));
        var options = context.Choose(
            new PretrainOptions(Steps: 600, BatchSize: 16, Context: 64, Lr: 2e-3, WarmupSteps: 50, EvalEvery: 100,
                EvalWindows: 64, Seed: (ulong)context.Seed),
            new PretrainOptions(Steps: 40, BatchSize: 8, Context: 32, Lr: 1e-2, WarmupSteps: 5, EvalEvery: 20,
                EvalWindows: 8, Seed: (ulong)context.Seed));
        var model = new Gpt(config, context.NewGenerator());
        var train = TokenCorpus.Encode(tokenizer, trainText);
        var val = TokenCorpus.Encode(tokenizer, valText);
        context.Setup($"A character-level GPT ({config.Layers} layers, {config.Heads} heads, E {config.Embedding}, " +
            $"context {config.Context}, {model.ParameterCount():N0} parameters, {tokenizer.VocabSize} characters) " +
            $"trained for {options.Steps} steps of {options.BatchSize} windows of {options.Context} characters " +
            $"(AdamW, warm-up then cosine, lr {options.Lr}) on " +
            (quick ? "a tiny synthetic text." : "Jane Austen's six novels (the last tenth held out)."));
        var trainer = new LanguageModelTrainer(model, model.Forward, train, val, options);
        trainer.Run(p => context.Log($"step {p.Step}: train {p.TrainLoss:F3}, validation {p.ValidationLoss:F3} " +
            "nats/char"));
        var loss = trainer.Evaluate(val, options.EvalWindows);
        double bigram = NGramModel.Bigram(train.Tokens, train.VocabSize).NatsPerToken(val.Tokens);
        context.Finding($"Validation loss {loss.NatsPerToken:F3} nats/char ({loss.BitsPerCharacter:F3} bits/char) " +
            $"after {options.Steps} steps; a character bigram model gets {bigram:F3} nats/char.");

        // One forward of the sentence with every attention layer keeping its weights (1, H, T, T).
        var ids = tokenizer.Encode(sentence);
        foreach (var block in model.Transformer.H) block.Attn.KeepWeights = true;
        model.Eval();
        using (Autograd.NoGrad())
            model.Forward(Tensor.From([.. ids.Select(i => (long)i)], 1, ids.Length));
        var labels = ids.Select(i => Label(tokenizer.Characters[i])).ToList();
        var table = context.Table("heads", "What each head attends to in the sentence, averaged over its positions",
            "layer", "head", "on itself", "on the previous char", "mean distance back", "max future weight");
        double worstFuture = 0, worstRow = 0;
        for (int layer = 0; layer < config.Layers; layer++)
        {
            var w = model.Transformer.H[layer].Attn.LastWeights!;                     // (1, H, T, T)
            for (int head = 0; head < config.Heads; head++)
            {
                var p = w.Select(0, 0).Select(0, head).Contiguous();                 // (T, T)
                int t = p.Size(0);
                var a = p.ToFloatArray();
                double self = 0, previous = 0, distance = 0, future = 0;
                for (int i = 0; i < t; i++)
                {
                    double row = 0;
                    for (int j = 0; j < t; j++)
                    {
                        double v = a[i * t + j];
                        row += v;
                        if (j > i) future = Math.Max(future, v);
                        distance += v * (i - j);
                    }
                    worstRow = Math.Max(worstRow, Math.Abs(row - 1));
                    self += a[i * t + i];
                    if (i > 0) previous += a[i * t + i - 1];
                }
                worstFuture = Math.Max(worstFuture, future);
                table.Add(layer, head, self / t, previous / (t - 1), distance / t, future);
                Plots.Heatmap(context.Figure($"layer{layer}-head{head}",
                        $"Attention weights of layer {layer}, head {head}: row = the token reading, column = the " +
                        "token read"), p,
                    new HeatmapOptions
                    {
                        Title = $"layer {layer} head {head}",
                        RowLabels = labels,
                        ColumnLabels = labels,
                        XLabel = "attended position",
                        YLabel = "query position",
                        Width = 720,
                        Height = 640,
                    });
            }
        }
        context.Finding($"Every row of every map sums to 1 (largest deviation {worstRow:E1}) and no position " +
            $"attends to a later one (largest weight above the diagonal {worstFuture:E1}): the causal mask holds.");
    }

    // Heatmap labels: spaces and line breaks made visible.
    private static string Label(string c) => c switch
    {
        " " => "␣",
        "\n" => "⏎",
        _ => c,
    };
}
