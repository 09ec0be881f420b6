using System.CommandLine;
using System.Globalization;
using Dendrite.Data;
using Dendrite.Data.Transforms;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;
using Spectre.Console;

namespace Dendrite.Cli;

/// <summary>train · eval · predict · summary · demo: training models of the zoo on Fashion-MNIST.</summary>
public static class TrainingCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Adds the commands to the root.</summary>
    public static void Register(RootCommand root)
    {
        root.Subcommands.Add(Train("train", "train a model on Fashion-MNIST, writing runs/NAME/", demo: false));
        root.Subcommands.Add(Train("demo", "train the MLP on Fashion-MNIST and print test accuracy (the quick tour)", demo: true));
        root.Subcommands.Add(Eval());
        root.Subcommands.Add(Predict());
        root.Subcommands.Add(SummaryCommand());
    }

    private sealed record RunOptions(string Model, int Epochs, int Batch, double Lr, string Optimizer, string Name,
        bool Resume, ulong Seed, string? Data, int CheckpointEvery, double ValSplit, string Schedule, string Runs,
        bool Overwrite, RecipeGiven Given);

    // What a run trains with beyond model, optimizer and rate: recorded in the checkpoint so that --resume continues
    // with the same (an option given again must agree with the recorded value).
    private sealed record Recipe(string Augment, double? WeightDecay, int Warmup, double LabelSmoothing)
    {
        public Dictionary<string, string> Metadata() => new()
        {
            ["augment"] = Augment,
            ["weight_decay"] = WeightDecay is double wd ? wd.ToString("R", Inv) : "default",
            ["warmup_epochs"] = Warmup.ToString(Inv),
            ["label_smoothing"] = LabelSmoothing.ToString("R", Inv),
        };
    }

    private sealed record RecipeGiven(string? Augment, double? WeightDecay, int? Warmup, double? LabelSmoothing)
    {
        // The recipe of a new run (defaults for what was not given), or of a resumed one (the recorded values for
        // what was not given; a given value must equal the recorded one).
        public Recipe Resolve(IReadOnlyDictionary<string, string>? recorded, string checkpoint)
        {
            string? augment = Augment is null ? null : AugmentSpec.Normalize(Augment);
            if (recorded is null)
                return new Recipe(augment ?? "none", WeightDecay, Warmup ?? 0, LabelSmoothing ?? 0);
            string Pick(string key, string option, string? given, string absent)
            {
                string was = recorded.TryGetValue(key, out var v) ? v : absent;
                if (given is not null && given != was)
                    throw new ArgumentException($"{option} {given} differs from the {was} that {checkpoint} was " +
                        $"trained with (metadata '{key}'): a resumed run keeps its recipe; leave {option} out to " +
                        $"continue with {was}");
                return was;
            }
            string weightDecay = Pick("weight_decay", "--weight-decay", WeightDecay?.ToString("R", Inv), "default");
            return new Recipe(
                Pick("augment", "--augment", augment, "none"),
                weightDecay == "default" ? null : double.Parse(weightDecay, Inv),
                int.Parse(Pick("warmup_epochs", "--warmup", Warmup?.ToString(Inv), "0"), Inv),
                double.Parse(Pick("label_smoothing", "--label-smoothing", LabelSmoothing?.ToString("R", Inv), "0"),
                    Inv));
        }
    }

    private static Command Train(string name, string description, bool demo)
    {
        var model = new Option<string>("--model") { Description = "model name (see `summary --list`)", DefaultValueFactory = _ => "mlp" };
        var epochs = new Option<int>("--epochs") { Description = "epochs to train", DefaultValueFactory = _ => demo ? 5 : 10 };
        var batch = new Option<int>("--batch") { Description = "batch size", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "learning rate", DefaultValueFactory = _ => 1e-3 };
        var opt = new Option<string>("--optimizer") { Description = "sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw", DefaultValueFactory = _ => "adam" };
        var run = new Option<string>("--name") { Description = "run name: output goes to runs/NAME", DefaultValueFactory = _ => demo ? "demo" : "train" };
        var runs = new Option<string>("--runs")
        {
            Description = "folder that holds the run folders",
            DefaultValueFactory = _ => "runs",
        };
        var resume = new Option<bool>("--resume") { Description = "continue from runs/NAME/checkpoint.safetensors" };
        // The demo is meant to be run again and again: it replaces its own folder unless told otherwise.
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "delete runs/NAME first when it holds an earlier run" + (demo ? " (the demo's default)" : ""),
            DefaultValueFactory = _ => demo,
        };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
        var data = new Option<string?>("--data") { Description = "folder with the Fashion-MNIST IDX files" };
        var every = new Option<int>("--checkpoint-every") { Description = "also checkpoint every N batches", DefaultValueFactory = _ => 0 };
        var valSplit = new Option<double>("--val-split")
        {
            Description = "hold out this fraction of the training images (stratified by class, seeded) for " +
                "validation; 0: no validation. The test set is used once, at the end",
            DefaultValueFactory = _ => DefaultValSplit,
        };
        var schedule = new Option<string>("--schedule")
        {
            Description = "learning-rate schedule over the epochs: cosine (decays to 0), step (x0.1 at 50% and 75%), none",
            DefaultValueFactory = _ => "cosine",
        };
        var augment = new Option<string>("--augment")
        {
            Description = "augmentation of the training batches, comma-separated: flip, vflip, crop:P (pad P pixels " +
                "and crop back at random), rotate:D, erase; none. He et al.'s CIFAR recipe is crop:4,flip",
            DefaultValueFactory = _ => "none",
        };
        var weightDecay = new Option<double?>("--weight-decay")
        {
            Description = "L2 weight decay (decoupled for adamw); default: the optimizer's (0, adamw 0.01)",
        };
        var warmup = new Option<int>("--warmup")
        {
            Description = "epochs of linear learning-rate warm-up before the schedule (which then spans the rest)",
            DefaultValueFactory = _ => 0,
        };
        var smoothing = new Option<double>("--label-smoothing")
        {
            Description = "cross-entropy against (1 - e) one-hot + e / classes targets",
            DefaultValueFactory = _ => 0,
        };
        var threads = ThreadsOption();
        var task = new Option<string>("--task")
        {
            Description = "fashion-mnist, or a sequence task: sentiment, char-lm, names, forecast (with --model " +
                "lstm, gru, rnn; bilstm for sentiment)",
            DefaultValueFactory = _ => "fashion-mnist",
        };
        var cmd = new Command(name, description)
        {
            model, epochs, batch, lr, opt, run, runs, resume, overwrite, seed, data, every, valSplit, schedule, threads,
        };
        if (!demo)
        {
            cmd.Options.Add(augment);
            cmd.Options.Add(weightDecay);
            cmd.Options.Add(warmup);
            cmd.Options.Add(smoothing);
        }
        if (!demo) cmd.Options.Add(task);
        cmd.SetAction(p => Guard(() =>
        {
            ApplyThreads(p.GetValue(threads));
            if (!demo && p.GetValue(task) is { } t && t != "fashion-mnist")
                return RunSequenceTask(t, p.GetValue(model)!, p.GetValue(epochs), p.GetValue(batch), p.GetValue(lr),
                    Path.Combine(p.GetValue(runs)!, p.GetValue(run)!), p.GetValue(overwrite), p.GetValue(seed),
                    p.GetValue(data));
            return RunTraining(new RunOptions(p.GetValue(model)!, p.GetValue(epochs), p.GetValue(batch), p.GetValue(lr),
                p.GetValue(opt)!, p.GetValue(run)!, p.GetValue(resume), p.GetValue(seed), p.GetValue(data), p.GetValue(every),
                p.GetValue(valSplit), p.GetValue(schedule)!, p.GetValue(runs)!,
                // A resumed demo continues its folder: the demo's default overwrite gives way to --resume.
                p.GetValue(overwrite) && !(demo && p.GetValue(resume)),
                Given(p, augment, weightDecay, warmup, smoothing)));
        }));
        return cmd;
    }

    // The sequence tasks live in RecurrentCommands; here only the run folder's rule (never silently replace a run).
    private static int RunSequenceTask(string task, string model, int epochs, int batch, double lr, string dir,
        bool overwrite, ulong seed, string? data)
    {
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
        {
            if (!overwrite)
                throw new IOException(
                    $"{dir} already holds a run; pass --overwrite to replace it or choose another --name");
            Directory.Delete(dir, recursive: true);
        }
        return RecurrentCommands.Train(new SequenceRun(task, model, epochs, batch, lr, dir, seed, data), Console.Out);
    }

    // The recipe options as given; those left at their defaults are null so a resumed run takes the recorded ones.
    private static RecipeGiven Given(ParseResult p, Option<string> augment, Option<double?> weightDecay,
        Option<int> warmup, Option<double> smoothing)
    {
        bool Explicit(Option o) => p.GetResult(o) is { Implicit: false };
        return new RecipeGiven(Explicit(augment) ? p.GetValue(augment) : null,
            Explicit(weightDecay) ? p.GetValue(weightDecay) : null,
            Explicit(warmup) ? p.GetValue(warmup) : null,
            Explicit(smoothing) ? p.GetValue(smoothing) : null);
    }

    /// <summary>The fraction of the training images <c>train</c> and <c>demo</c> hold out for validation.</summary>
    public const double DefaultValSplit = 0.1;

    private static Option<int> ThreadsOption() => new("--threads") { Description = "compute threads (default: all cores)", DefaultValueFactory = _ => 0 };

    private static void ApplyThreads(int n)
    {
        if (n > 0) Environment.SetEnvironmentVariable("DENDRITE_NUM_THREADS", n.ToString(Inv));
    }

    private static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or IOException or DataFormatException or SafetensorsFormatException
            or ImageFormatException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static Optimizer MakeOptimizer(string name, IEnumerable<Parameter> ps, double lr, double? weightDecay)
    {
        if (weightDecay is < 0 or double.NaN)
            throw new ArgumentException($"--weight-decay must be >= 0, got {weightDecay}");
        double wd = weightDecay ?? 0;
        return name switch
        {
            "sgd" => new Sgd(ps, lr, wd),
            "momentum" => new Momentum(ps, lr, 0.9, weightDecay: wd),
            "nesterov" => new Momentum(ps, lr, 0.9, nesterov: true, weightDecay: wd),
            "adagrad" => new Adagrad(ps, lr, weightDecay: wd),
            "rmsprop" => new RmsProp(ps, lr, weightDecay: wd),
            "adam" => new Adam(ps, lr, weightDecay: wd),
            "adamw" => new AdamW(ps, lr, weightDecay: weightDecay ?? 0.01),
            _ => throw new ArgumentException($"unknown optimizer '{name}'"),
        };
    }

    private static int RunTraining(RunOptions o)
    {
        if (o.ValSplit is < 0 or >= 1) throw new ArgumentException($"--val-split must be in [0, 1), got {o.ValSplit}");
        if (o.Resume && o.Overwrite)
            throw new ArgumentException("--resume continues runs/NAME, --overwrite deletes it: give one");
        var dir = Path.Combine(o.Runs, o.Name);
        var ckpt = Path.Combine(dir, "checkpoint.safetensors");
        // One run, one folder: everything is checked before anything is written, so a refused or failed start leaves
        // the folder as it was (or absent).
        if (o.Resume && !File.Exists(ckpt))
            throw new IOException(
                $"--resume: {ckpt} does not exist (nothing was written; start the run without --resume)");
        bool earlier = !o.Resume && Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any();
        if (earlier && !o.Overwrite)
            throw new IOException($"{dir} already holds a run; pass --overwrite to replace it, --resume to " +
                "continue it, or choose another --name");
        var recipe = o.Given.Resolve(o.Resume ? Safetensors.Load(ckpt).Metadata : null, ckpt);
        if (recipe.Warmup < 0 || (recipe.Warmup > 0 && recipe.Warmup >= o.Epochs))
            throw new ArgumentException($"--warmup must be in [0, {o.Epochs}) epochs, got {recipe.Warmup}");
        if (recipe.LabelSmoothing is < 0 or >= 1 or double.NaN)
            throw new ArgumentException($"--label-smoothing must be in [0, 1), got {recipe.LabelSmoothing}");
        var entry = Zoo.Get(o.Model);
        string folder = FashionMnist.Locate(o.Data);
        Console.WriteLine($"data: {folder}");
        // The training pixels stay bytes (a quarter of the memory of floats); batches are converted as they are drawn.
        var (xTrain, yTrain) = FashionMnist.LoadBytes(folder, "train");
        var (xTest, yTest) = FashionMnist.Load(folder, "t10k");
        Generator.ManualSeed(o.Seed);
        (Tensor X, Tensor Y)? validation = null;
        if (o.ValSplit > 0)
        {
            var (train, held) = Split.TrainValidation(xTrain, yTrain, o.ValSplit, new Generator(o.Seed + 2),
                stratify: yTrain);
            (xTrain, yTrain) = train;
            validation = (held.X.ToTensor(), held.Y);
        }
        string validated = validation is var (vx, _)
            ? $"validation {Shapes.Format(vx.Shape)} (held out of the training images, stratified; checked each epoch)"
            : "no validation (--val-split 0)";
        Console.WriteLine($"train {Shapes.Format(xTrain.Shape.ToArray())}, {validated}, " +
            $"test {Shapes.Format(xTest.Shape)} (used once, at the end)");
        var model = ForFashionMnist(entry);
        var optimizer = MakeOptimizer(o.Optimizer, model.Parameters(), o.Lr, recipe.WeightDecay);
        // Padding and rotation fill with a blank (black) pixel as the standardised images hold it.
        float background = (float)((0 - FashionMnist.Mean) / FashionMnist.Std);
        var loader = new DataLoader(xTrain, yTrain, o.Batch, shuffle: true, generator: new Generator(o.Seed + 1))
        {
            Transform = AugmentSpec.Parse(recipe.Augment, background),
            TransformGenerator = new Generator(o.Seed + 3),
        };
        double smoothing = recipe.LabelSmoothing;
        var trainer = new Trainer(model, optimizer, (output, target) => Losses.CrossEntropy(output, target, smoothing));
        var meta = new Dictionary<string, string> { ["zoo_model"] = o.Model, ["optimizer_name"] = o.Optimizer };
        foreach (var (k, v) in recipe.Metadata()) meta[k] = v;
        if (o.Resume)
        {
            trainer.LoadCheckpoint(ckpt, loader);
            Console.WriteLine($"resumed from {ckpt} at epoch {trainer.Epoch}, batch {trainer.BatchInEpoch}");
        }
        // The schedule spans the epochs after the warm-up.
        int span = o.Epochs - recipe.Warmup;
        LrScheduler? scheduler = o.Schedule switch
        {
            "cosine" => new CosineLr(optimizer, span),
            "step" => new MultiStepLr(optimizer, [span / 2, span * 3 / 4]),
            "none" => null,
            _ => throw new ArgumentException($"--schedule: unknown schedule '{o.Schedule}' (cosine, step, none)"),
        };
        if (recipe.Warmup > 0) scheduler = new WarmupLr(optimizer, recipe.Warmup, scheduler);
        Console.WriteLine($"model {o.Model}: {model.ParameterCount().ToString("N0", Inv)} parameters; {o.Optimizer} lr {o.Lr} " +
            $"({o.Schedule} schedule), batch {o.Batch}, {o.Epochs} epochs");
        Console.WriteLine($"recipe: augment {recipe.Augment}, weight decay " +
            $"{(recipe.WeightDecay is double wdv ? wdv.ToString(Inv) : "default")}, warm-up {recipe.Warmup} epochs, " +
            $"label smoothing {recipe.LabelSmoothing.ToString(Inv)}");
        if (earlier)
        {
            Directory.Delete(dir, recursive: true);
            Console.WriteLine($"--overwrite: deleted the earlier run in {dir}");
        }
        Directory.CreateDirectory(dir);
        using var tb = new TensorBoardWriter(dir);
        var callbacks = new List<ICallback>
        {
            new CsvLogger(Path.Combine(dir, "metrics.csv")),
            new Checkpoint(ckpt, loader, o.CheckpointEvery, meta),
            new TensorBoardLogger(tb),
        };
        if (scheduler is not null) callbacks.Insert(0, new LrScheduleCallback(scheduler));
        // The library's progress printer: live bars on a terminal, one line per epoch when redirected.
        trainer.Fit(loader, untilEpoch: o.Epochs, validation: validation, callbacks: callbacks);
        WriteCurves(dir);
        if (validation is var (valX, valY))
        {
            var (valLoss, valAcc) = trainer.Evaluate(valX, valY);
            Console.WriteLine($"validation accuracy: {valAcc.ToString("P2", Inv)} " +
                $"(loss {valLoss.ToString("F4", Inv)}) " +
                $"on {valX.Size(0)} held-out training images");
        }
        var (testLoss, testAcc) = trainer.Evaluate(xTest, yTest);
        Console.WriteLine($"test accuracy: {testAcc.ToString("P2", Inv)} (loss {testLoss.ToString("F4", Inv)}) on {xTest.Size(0)} images");
        Console.WriteLine($"wrote {dir}/: checkpoint.safetensors, metrics.csv, loss.png, accuracy.png, {Path.GetFileName(tb.Path)}");
        return 0;
    }

    // loss and accuracy curves from metrics.csv, as PNG (SVG for the tests, which read the tick labels back).
    internal static void WriteCurves(string dir, string extension = "png")
    {
        var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        double P(string s) => s.Length == 0 ? double.NaN : double.Parse(s, Inv);
        double[] epochs = [.. rows.Select(r => P(r[0]))];
        Series Col(string name, int i) => new(name, epochs, [.. rows.Select(r => P(r[i]))]);
        Plots.Line(Path.Combine(dir, $"loss.{extension}"), [Col("train", 1), Col("validation", 3)],
            new LineOptions { Title = "Loss", XLabel = "epoch", YLabel = "cross-entropy", IntegerX = true });
        Plots.Line(Path.Combine(dir, $"accuracy.{extension}"), [Col("train", 2), Col("validation", 4)],
            new LineOptions { Title = "Accuracy", XLabel = "epoch", YLabel = "accuracy", IntegerX = true });
    }

    /// <summary>A zoo model for Fashion-MNIST's (1, 28, 28) images and 10 classes: as registered when it takes that
    /// input, otherwise built with one input channel, 10 classes and its small-input stem.</summary>
    internal static Module ForFashionMnist(Zoo.Entry entry)
    {
        if (entry.InputShape.SequenceEqual([1, 28, 28])) return entry.Create();
        string refused = $"model '{entry.Name}' takes {Shapes.Format(entry.InputShape)} inputs and cannot be built " +
            "for Fashion-MNIST's (1, 28, 28) images";
        if (entry.Build is not { } build) throw new ArgumentException(refused);
        Module model;
        try
        {
            model = build(new ZooOptions(NumClasses: 10, InChannels: 1, SmallInput: true));
            // One image through the model in evaluation mode: a network that pools 28×28 away fails here, not
            // after the data has loaded.
            using var noGrad = Autograd.NoGrad();
            ((ILayer)model.Eval()).Call(Tensor.Zeros(1, 1, 28, 28));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{refused}: {e.Message}", e);
        }
        return model.Train();
    }

    private static (Module Model, string Name) LoadModel(string checkpoint)
    {
        var (tensors, meta) = Safetensors.Load(checkpoint);
        if (!meta.TryGetValue("zoo_model", out var name))
            throw new IOException(NotFromTheZoo(checkpoint, tensors, meta));
        var model = ForFashionMnist(Zoo.Get(name));
        var weights = tensors.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value);
        model.LoadStateDict(weights);
        model.Eval();
        return (model, name);
    }

    // What a checkpoint of a model outside the zoo holds, and how to load it from code instead.
    private static string NotFromTheZoo(string path, Dictionary<string, Tensor> tensors,
        Dictionary<string, string> meta)
    {
        var keys = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        string shown = string.Join(", ", keys.Take(4).Select(k => $"{k} {Shapes.Format(tensors[k].Shape)}")) +
            (keys.Count > 4 ? $", … ({keys.Count} in all)" : "");
        string metadata = meta.Count == 0
            ? "no metadata"
            : "metadata " + string.Join(", ", meta.Select(kv => $"{kv.Key}={kv.Value}"));
        bool fromTrainer = keys.Any(k => k.StartsWith("model.", StringComparison.Ordinal));
        string howTo = fromTrainer
            ? "it is a Trainer checkpoint: build the model in code and call trainer.LoadCheckpoint(path, loader), " +
              "or load its model.* tensors (without the prefix) with model.LoadStateDict(...)"
            : "build the model in code and load its weights with model.LoadStateDict(Safetensors.Load(path).Tensors)";
        return $"{path}: metadata has no 'zoo_model' key, so this is not a checkpoint of a zoo model " +
            $"(`summary --list`) and eval/predict cannot rebuild it. It holds {shown}; {metadata}. To use it, {howTo}";
    }

    private static Command Eval()
    {
        var ckpt = new Option<string>("--checkpoint") { Description = "checkpoint to evaluate", Required = true };
        var data = new Option<string?>("--data") { Description = "folder with the Fashion-MNIST IDX files" };
        var cmd = new Command("eval", "test accuracy, per-class precision/recall/F1 and the confusion matrix") { ckpt, data };
        cmd.SetAction(p => Guard(() =>
        {
            var (model, name) = LoadModel(p.GetValue(ckpt)!);
            var (x, y) = FashionMnist.Load(FashionMnist.Locate(p.GetValue(data)), "t10k");
            var trainer = new Trainer(model, new Sgd(model.Parameters(), 0), Losses.CrossEntropy);
            var scores = trainer.Predict(x);
            var predicted = scores.ArgMax(1);
            var cm = Metrics.ConfusionMatrix(predicted, y, 10);
            var (prec, rec, f1, macro) = Metrics.PrecisionRecallF1(cm);
            Console.WriteLine($"model {name}: accuracy {Metrics.Accuracy(scores, y).ToString("P2", Inv)}, top-3 {Metrics.TopK(scores, y, 3).ToString("P2", Inv)}, macro F1 {macro.ToString("F4", Inv)}");
            var table = new Table().AddColumns("class", "precision", "recall", "F1");
            for (int c = 0; c < 10; c++)
                table.AddRow(FashionMnist.Classes[c], prec[c].ToString("F3", Inv), rec[c].ToString("F3", Inv), f1[c].ToString("F3", Inv));
            AnsiConsole.Write(table);
            Console.WriteLine("confusion matrix (rows: true class, columns: predicted):");
            for (int r = 0; r < 10; r++)
                Console.WriteLine(string.Join(" ", Enumerable.Range(0, 10).Select(c => cm[r, c].ToString(Inv).PadLeft(5))));
            return 0;
        }));
        return cmd;
    }

    private static Command Predict()
    {
        var ckpt = new Option<string>("--checkpoint") { Description = "trained checkpoint", Required = true };
        var input = new Argument<string>("input") { Description = "an image (PNG, JPEG, BMP, GIF or WebP; 28x28) or an IDX image file" };
        var cmd = new Command("predict", "classify images from an image or IDX file") { ckpt, input };
        cmd.SetAction(p => Guard(() =>
        {
            var (model, _) = LoadModel(p.GetValue(ckpt)!);
            string path = p.GetValue(input)!;
            Tensor x;
            if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) && !IsIdx(path))
            {
                // PNG, JPEG, BMP, GIF or WebP; colour images are turned into grey (luma) as Fashion-MNIST is grey.
                var img = Image.Load(path, new ImageReadOptions(ImageColor.Grey));
                if (img.Size(1) != 28 || img.Size(2) != 28)
                    throw new ArgumentException($"{path}: image is {img.Size(2)}x{img.Size(1)}, the model expects 28x28");
                x = img.Unsqueeze(0);
            }
            else
            {
                var raw = Idx.Read(path, asFloat: true);
                if (raw.Rank != 3 || raw.Size(1) != 28 || raw.Size(2) != 28)
                    throw new ArgumentException($"{path}: IDX images must be [N,28,28], found {Shapes.Format(raw.Shape)}");
                x = raw.Reshape(-1, 1, 28, 28) / 255.0;
            }
            x = (x - FashionMnist.Mean) / FashionMnist.Std;
            using var _ = Autograd.NoGrad();
            var probs = ((ILayer)model).Call(x).Softmax(1);
            var best = probs.ArgMax(1).ToArray<long>();
            for (int i = 0; i < best.Length; i++)
                Console.WriteLine($"{i}: {FashionMnist.Classes[(int)best[i]]} ({probs[i, (int)best[i]].ToString("P1", Inv)})");
            return 0;
        }));
        return cmd;
    }

    private static bool IsIdx(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return f.Read(head) == 4 && FileSignature.IsIdx(head);
    }

    // "3,32,32" → [3, 32, 32].
    private static int[] ParseShape(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || !parts.All(q => int.TryParse(q, NumberStyles.Integer, Inv, out int v) && v > 0))
            throw new ArgumentException($"--input must be C,H,W with three positive integers, got '{text}'");
        return [.. parts.Select(q => int.Parse(q, Inv))];
    }

    private static Command SummaryCommand()
    {
        var model = new Option<string>("--model") { Description = "model name", DefaultValueFactory = _ => "mlp" };
        var list = new Option<bool>("--list") { Description = "list the models" };
        var input = new Option<string?>("--input") { Description = "sample shape C,H,W (default: the model's own)" };
        var small = new Option<bool>("--small-input") { Description = "build a zoo CNN with its small-input stem" };
        var cmd = new Command("summary", "layers, output shapes and parameter counts of a model")
        {
            model, list, input, small,
        };
        cmd.SetAction(p => Guard(() =>
        {
            if (p.GetValue(list))
            {
                foreach (var e in Zoo.All) Console.WriteLine($"{e.Name,-12} {e.Description}");
                return 0;
            }
            var entry = Zoo.Get(p.GetValue(model)!);
            int[] shape = p.GetValue(input) is { } text ? ParseShape(text) : entry.InputShape;
            var net = entry.Build is not null && (p.GetValue(small) || shape[0] != entry.InputShape[0])
                ? entry.Build(new ZooOptions(InChannels: shape[0], SmallInput: p.GetValue(small)))
                : entry.Create();
            Console.Write(Summary.Of(net, [1, .. shape]));
            Console.WriteLine($"total parameters: {net.ParameterCount().ToString(Inv)}");
            return 0;
        }));
        return cmd;
    }
}
