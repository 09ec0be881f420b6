using System.CommandLine;
using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Training;

namespace Dendrite.Cli;

/// <summary><c>dendrite finetune</c>: a classification head on a pre-trained GPT checkpoint (GPT's second stage),
/// trained on labelled sentences against the same architecture from scratch with the same tokenizer, steps and
/// settings; test accuracy of both, and their curves.</summary>
internal static class FinetuneCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Register(RootCommand root) => root.Subcommands.Add(FinetuneCommand());

    private static Option<T> Opt<T>(string name, string description, T value) =>
        new(name) { Description = description, DefaultValueFactory = _ => value };

    private sealed record FinetuneRequest(string Checkpoint, string Data, string Pooling, double Dropout,
        double HeldOut, bool Scratch, string? Plot, ulong Seed);

    private static Command FinetuneCommand()
    {
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "pre-trained GPT checkpoint (from dendrite pretrain)",
            Required = true,
        };
        var data = Opt("--data", "polarity (Pang & Lee's sentences) or a CSV file of \"label\",\"text\" rows",
            "polarity");
        var pooling = Opt("--pooling", "last (the last real token's state, as GPT) or mean (of the real tokens)",
            "last");
        var dropout = Opt("--dropout", "dropout of the body during fine-tuning", 0.1);
        var heldOut = Opt("--held-out", "fraction for validation and again for test (seeded random split)", 0.1);
        var steps = Opt("--steps", "optimizer steps for each model", 600);
        var batch = Opt("--batch", "sentences per step", 32);
        var lr = Opt("--lr", "peak learning rate (AdamW, warm-up then cosine)", 5e-4);
        var warmup = Opt("--warmup", "linear warm-up steps", 60);
        var evalEvery = Opt("--eval-every", "steps between validation evaluations", 50);
        var scratch = Opt("--scratch", "also train the same architecture from scratch", true);
        var plot = new Option<string?>("--plot")
        {
            Description = "PNG of the validation accuracy curves (the loss curves go beside it, -loss.png)",
        };
        var seed = Opt("--seed", "seed of the split, the new weights and the batches", 0UL);
        var cmd = new Command("finetune", "fine-tune a pre-trained GPT as a sentence classifier, against the same " +
            "model from scratch");
        foreach (var o in new Option[]
        {
            checkpoint, data, pooling, dropout, heldOut, steps, batch, lr, warmup, evalEvery, scratch, plot, seed,
        })
            cmd.Options.Add(o);
        cmd.SetAction(p => PretrainCommands.Guard(() => Finetune(
            new FinetuneRequest(p.GetValue(checkpoint)!, p.GetValue(data)!, p.GetValue(pooling)!, p.GetValue(dropout), p.GetValue(heldOut), p.GetValue(scratch),
                p.GetValue(plot), p.GetValue(seed)),
            new FineTuneOptions(p.GetValue(steps), p.GetValue(batch), p.GetValue(lr), p.GetValue(warmup),
                EvalEvery: p.GetValue(evalEvery), Seed: p.GetValue(seed)))));
        return cmd;
    }

    // Labelled sentences: Pang & Lee's polarity data, or a CSV whose label strings become classes in sorted order.
    private static (IReadOnlyList<(string Text, long Label)> Rows, string[] Classes) Load(string data)
    {
        if (data == "polarity") return (SentencePolarity.Sentences(), ["negative", "positive"]);
        if (!File.Exists(data))
            throw new IOException($"finetune: '{data}' is neither 'polarity' nor an existing CSV file");
        var table = CsvTable.Load(data, hasHeader: false);
        for (int r = 0; r < table.Rows.Count; r++)
        {
            if (table.Rows[r].Length != 2)
                throw new FormatException($"finetune: {data}: record {r + 1} has {table.Rows[r].Length} fields, " +
                    "expected 2 (label, text)");
        }
        var classes = table.Rows.Select(r => r[0]).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2) throw new FormatException($"finetune: {data}: fewer than two labels");
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => (long)x.i);
        return ([.. table.Rows.Select(r => (r[1].Trim(), index[r[0]]))], classes);
    }

    private static int Finetune(FinetuneRequest r, FineTuneOptions options)
    {
        if (!File.Exists(r.Checkpoint)) throw new IOException($"finetune: checkpoint '{r.Checkpoint}' does not exist");
        var pooling = r.Pooling switch
        {
            "last" => GptPooling.LastToken,
            "mean" => GptPooling.Mean,
            _ => throw new ArgumentException($"finetune: --pooling '{r.Pooling}' is neither last nor mean"),
        };
        var (tensors, meta) = Safetensors.Load(r.Checkpoint);
        var tokenizer = Tokenizers.FromMetadata(meta);
        var withDropout = new Dictionary<string, string>(meta) { ["dropout"] = r.Dropout.ToString("R", Inv) };
        var pretrained = Gpt.FromStateDict(tensors, withDropout);
        var config = pretrained.Config;

        var (rows, classes) = Load(r.Data);
        var (trainRows, valRows, testRows) = LabelledTokens.Split(rows, r.HeldOut, new Generator(r.Seed));
        var train = LabelledTokens.Encode(tokenizer, trainRows, config.Context, out int cutTrain);
        var val = LabelledTokens.Encode(tokenizer, valRows, config.Context, out int cutVal);
        var test = LabelledTokens.Encode(tokenizer, testRows, config.Context, out int cutTest);
        double meanTokens = train.Ids.Average(t => t.Length);
        Console.WriteLine($"data {r.Data}: {rows.Count:N0} texts, {classes.Length} classes " +
            $"({string.Join(", ", classes)}); split {train.Count:N0} / {val.Count:N0} / {test.Count:N0} " +
            $"(seed {r.Seed}); {meanTokens:F1} {tokenizer.Kind} tokens per training text, " +
            $"{cutTrain + cutVal + cutTest} cut to the context of {config.Context}");
        long majority = train.Labels.GroupBy(l => l).OrderByDescending(g => g.Count()).First().Key;
        Console.WriteLine($"majority class ({classes[majority]}): test accuracy " +
            $"{test.Labels.Count(l => l == majority) / (double)test.Count:P1}");
        Console.WriteLine($"model: {config.Layers} layers, {config.Heads} heads, E {config.Embedding}, context " +
            $"{config.Context}, dropout {r.Dropout}; pooling {r.Pooling}; {options.Steps} steps of " +
            $"{options.BatchSize}, lr {options.Lr}, warm-up {options.WarmupSteps}");

        var runs = new List<(string Name, SequenceClassifierTrainer Trainer, ClassificationScore Test, long Params)>();
        var candidates = new List<(string, Gpt)> { ("pre-trained", pretrained) };
        if (r.Scratch) candidates.Add(("from scratch", new Gpt(config, new Generator(r.Seed + 1))));
        foreach (var (name, body) in candidates)
        {
            var classifier = new GptClassifier(body, classes.Length, new Generator(r.Seed + 2), pooling);
            var trainer = new SequenceClassifierTrainer(classifier, classifier.Forward, train, val, options);
            Console.WriteLine($"{name}:");
            trainer.Run(p => Console.WriteLine(string.Format(Inv,
                "  step {0,5}  train loss {1:F4} acc {2:P1}  validation loss {3:F4} acc {4:P1}  {5:F0} s",
                p.Step, p.TrainLoss, p.TrainAccuracy, p.ValidationLoss, p.ValidationAccuracy, p.Seconds)));
            var score = trainer.Evaluate(test);
            runs.Add((name, trainer, score, classifier.ParameterCount()));
            Console.WriteLine($"  best validation {trainer.Best!.ValidationAccuracy:P1} at step {trainer.Best.Step}; " +
                $"test accuracy {score.Accuracy:P2} (loss {score.Loss:F4}), {trainer.History[^1].Seconds:F0} s");
        }
        Console.WriteLine();
        Console.WriteLine("| model | parameters | best validation accuracy (step) | test accuracy | seconds |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var (name, trainer, score, count) in runs)
        {
            Console.WriteLine($"| {name} | {count:N0} | {trainer.Best!.ValidationAccuracy:P1} ({trainer.Best.Step}) " +
                $"| {score.Accuracy:P2} | {trainer.History[^1].Seconds:F0} |");
        }
        if (r.Plot is not null)
        {
            Plot(r.Plot, runs.Select(x => (x.Name, x.Trainer)), p => p.ValidationAccuracy, "validation accuracy");
            string lossPlot = Path.ChangeExtension(r.Plot, null) + "-loss.png";
            Plot(lossPlot, runs.Select(x => (x.Name, x.Trainer)), p => p.TrainLoss, "training loss (nats)");
            Console.WriteLine($"wrote {r.Plot} and {lossPlot}");
        }
        return 0;
    }

    private static void Plot(string path, IEnumerable<(string Name, SequenceClassifierTrainer Trainer)> runs,
        Func<FineTunePoint, double> y, string label)
    {
        var series = runs.Select(run => new Series(run.Name, [.. run.Trainer.History.Select(p => (double)p.Step)],
            [.. run.Trainer.History.Select(y)])).ToList();
        Plots.Line(path, series, new LineOptions { Title = "GPT fine-tuning", XLabel = "step", YLabel = label });
    }
}
