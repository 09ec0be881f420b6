using System.Diagnostics;
using Dendrite.Data;
using Dendrite.Experiments.Recurrent;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Models.Sequence;
using Dendrite.Nn;
using Dendrite.Training;

namespace Dendrite.Experiments.Transformers;

/// <summary>A character GPT against a character LSTM on Jane Austen, given the same wall time to train.</summary>
public sealed class GptVsLstm : Experiment
{
    private const double Warmup = 0.05;

    /// <inheritdoc/>
    public override string Name => "gpt-vs-lstm";

    /// <inheritdoc/>
    public override string Topic => "transformers";

    /// <inheritdoc/>
    public override string Summary => "character GPT vs character LSTM on Jane Austen at equal wall time: " +
        "validation bits per character against training seconds, with n-gram baselines";

    /// <inheritdoc/>
    public override string Claim => """
        Self-attention reads every earlier position of its context in one parallel step, where a recurrent network
        must walk the sequence one character at a time; for the same training time a Transformer therefore takes
        more optimizer steps and, at the scale of a few hundred thousand parameters, reaches a lower validation loss
        than an LSTM trained by the same recipe (Vaswani et al. 2017; Radford et al. 2018). Both should beat the
        count-based baselines.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var g = context.NewGenerator();
        var task = SequenceTasks.Austen(context.Quick, g);
        // one alphabet and one id stream for both models: id 0 is a character unseen in training
        string alphabet = CharLanguageModel.AlphabetOf(task.Train);
        int hidden = context.Choose(512, 32), context_ = context.Choose(128, 32), batch = context.Choose(16, 8);
        Generator.ManualSeed((ulong)context.Seed + 41);
        var lstm = new CharLanguageModel(new CharModelConfig(alphabet, EmbeddingDim: 64, HiddenSize: hidden),
            context.NewGenerator());
        var train = new TokenCorpus([.. lstm.Encode(task.Train).Select(i => (int)i)], lstm.VocabularySize,
            task.Train.Length);
        var val = new TokenCorpus([.. lstm.Encode(task.Validation).Select(i => (int)i)], lstm.VocabularySize,
            task.Validation.Length);
        var gptConfig = context.Choose(new GptConfig(lstm.VocabularySize, context_, 4, 4, 128),
            new GptConfig(lstm.VocabularySize, context_, 1, 2, 32));
        var gpt = new Gpt(gptConfig, context.NewGenerator());
        double budget = context.Choose(600.0, 3.0);
        context.Setup($"Data: {task.Source}; {task.Train.Length:N0} training and {task.Validation.Length:N0} " +
            $"validation characters, {alphabet.Length} distinct characters (+1 id for unseen ones).");

        // Count-based baselines on the same split.
        var clock = Stopwatch.StartNew();
        var (_, order, discount, scores) = CharNGramModel.Select(task.Train, task.Validation,
            maxOrder: context.Choose(5, 3));
        double ngramSeconds = clock.Elapsed.TotalSeconds;
        double bigram = val.BitsPerCharacter(NGramModel.Bigram(train.Tokens, train.VocabSize).NatsPerToken(val.Tokens));
        double ngramBits = scores.Min(s => s.Bits);

        var sides = new[]
        {
            new Side("GPT", gpt, gpt.Forward, gptConfig.Context, context.Choose(2e-3, 1e-2)),
            new Side("LSTM", lstm, ids => lstm.Forward(ids).Logits, context_, context.Choose(2e-3, 1e-2)),
        };
        foreach (var side in sides)
        {
            // The step count only bounds the run: the budget of seconds ends it, and the learning rate follows the
            // share of the budget used (below), not the step.
            side.Trainer = new LanguageModelTrainer(side.Model, side.Forward, train, val, new PretrainOptions(
                Steps: int.MaxValue, BatchSize: batch, Context: side.Context, Lr: side.Lr, WarmupSteps: 0,
                EvalWindows: context.Choose(64, 8), Seed: (ulong)context.Seed));
        }
        context.Setup($"GPT: {gptConfig.Layers} layers, {gptConfig.Heads} heads, E {gptConfig.Embedding}, context " +
            $"{gptConfig.Context}, tied head, {gpt.ParameterCount():N0} parameters. LSTM: embedding 64, one layer of " +
            $"{hidden} units, linear read-out, {lstm.ParameterCount():N0} parameters. Same recipe for both " +
            $"(LanguageModelTrainer.TrainStep): random windows of {context_} characters, batch {batch}, AdamW " +
            "(β₂ 0.95, weight decay 0.1 on matrices), gradient norm clipped at 1, peak learning rate " +
            $"{sides[0].Lr} (GPT) and {sides[1].Lr} (LSTM); the LSTM starts every window from a zero state, as the " +
            $"GPT does. Budget: {budget:F0} s of training each. The two train in alternation, one step at a time, " +
            "the side with less training time so far going next, so that load on the machine falls on both alike; " +
            "each side's learning rate follows the share f of its budget already spent (linear warm-up over the " +
            "first 5 %, then a cosine down to 0.1× at f = 1), so both anneal fully within the same time whatever " +
            "their speed. Validation (64 windows) after every tenth of the budget is not counted as training time; " +
            "the final figure scores every validation window.");

        // Alternate: always step the side that has trained for less time, until both have spent the budget.
        var curves = sides.ToDictionary(s => s.Name, _ => new List<(double Seconds, double Bits)>());
        while (sides.Any(s => s.Seconds < budget))
        {
            var side = sides.Where(s => s.Seconds < budget).MinBy(s => s.Seconds)!;
            var t = side.Trainer!;
            double share = side.Seconds / budget;
            double lr = share < Warmup
                ? side.Lr * Math.Max(share, 0.002) / Warmup
                : side.Lr * (0.1 + 0.45 * (1 + Math.Cos(Math.PI * (share - Warmup) / (1 - Warmup))));
            foreach (var group in t.Optimizer.Groups) group.Lr = lr;
            clock.Restart();
            t.TrainStep();
            side.Seconds += clock.Elapsed.TotalSeconds;
            if (side.Seconds >= side.NextEval || side.Seconds >= budget)
            {
                side.NextEval += budget / 10;
                var loss = t.Evaluate(val, t.Options.EvalWindows);
                curves[side.Name].Add((side.Seconds, loss.BitsPerCharacter));
                context.Log($"{side.Name} step {t.Step}: {loss.BitsPerCharacter:F3} bits/char after " +
                    $"{side.Seconds:F0} s");
            }
        }

        var table = context.Table("bits", "Validation bits per character after equal training time", "model",
            "parameters", "steps", "train seconds", "bits / char");
        table.Add("bigram (Jelinek–Mercer)", "-", "-", "-", bigram);
        table.Add($"best n-gram (n = {order}, d = {discount}, Kneser–Ney)", "-", "-", ngramSeconds, ngramBits);
        var final = new Dictionary<string, double>();
        foreach (var side in sides)
        {
            var t = side.Trainer!;
            final[side.Name] = t.Evaluate(val).BitsPerCharacter;
            table.Add(side.Name, side.Model.ParameterCount(), t.Step, side.Seconds, final[side.Name]);
        }
        double span = sides.Max(s => s.Seconds);
        Plots.Line(context.Figure("bits-vs-seconds", "Validation bits per character (64 windows) against training " +
            "seconds, trained in alternation, with the best n-gram"),
            [
                .. sides.Select(s => new Series(s.Name, [.. curves[s.Name].Select(p => p.Seconds)],
                    [.. curves[s.Name].Select(p => p.Bits)])),
                new Series($"{order}-gram", [0, span], [ngramBits, ngramBits]),
            ],
            new LineOptions
            {
                Title = "GPT vs LSTM, equal wall time",
                XLabel = "training seconds",
                YLabel = "bits / char",
            });
        string prompt = context.Quick ? "the" : "It is a truth";
        var samples = context.Table("samples",
            $"Samples continuing \"{prompt}\" (temperature 0.8, {context.Choose(200, 40)} characters)", "model",
            "text");
        samples.Add("LSTM", Clean(prompt + lstm.Sample(prompt, context.Choose(200, 40), 0.8, g)));
        var sampled = gpt.Generate([.. lstm.Encode(prompt).Select(i => (int)i)], context.Choose(200, 40),
            new SamplingOptions(Temperature: 0.8), g);
        samples.Add("GPT", Clean(prompt + lstm.Decode(sampled.Select(i => (long)i))));
        string winner = final["GPT"] < final["LSTM"] ? "GPT" : "LSTM";
        context.Finding($"After {sides[0].Seconds:F0} s (GPT, {sides[0].Trainer!.Step} steps) and " +
            $"{sides[1].Seconds:F0} s (LSTM, {sides[1].Trainer!.Step} steps) of training, the GPT reaches " +
            $"{final["GPT"]:F3} bits per character and the LSTM {final["LSTM"]:F3}: the {winner} is ahead at equal " +
            $"wall time. The best n-gram scores {ngramBits:F3}, the bigram {bigram:F3}.");
    }

    private static string Clean(string text) =>
        text.Replace("\n", " ⏎ ", StringComparison.Ordinal).Replace("|", "/", StringComparison.Ordinal);

    private sealed class Side(string name, Module model, Func<Tensor, Tensor> forward, int contextLength, double lr)
    {
        public string Name { get; } = name;

        public Module Model { get; } = model;

        public Func<Tensor, Tensor> Forward { get; } = forward;

        public int Context { get; } = contextLength;

        public double Lr { get; } = lr;

        public double NextEval { get; set; }

        public LanguageModelTrainer? Trainer { get; set; }

        public double Seconds { get; set; }
    }
}
