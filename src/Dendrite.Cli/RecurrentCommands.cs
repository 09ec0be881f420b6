using System.Diagnostics;
using System.Globalization;
using Dendrite.Data;
using Dendrite.Experiments.Recurrent;
using Dendrite.IO;
using Dendrite.Models.Sequence;
using Dendrite.Nn.Optim;

namespace Dendrite.Cli;

/// <summary>What <c>dendrite train --task …</c> was asked for, beyond Fashion-MNIST.</summary>
/// <param name="Task">sentiment, char-lm, names or forecast.</param>
/// <param name="Model">rnn, lstm or gru; bi- prefixed (bilstm) for a bidirectional sentiment encoder.</param>
/// <param name="Epochs">Epochs to train.</param>
/// <param name="Batch">Batch size (streams for char-lm).</param>
/// <param name="Lr">Adam's learning rate.</param>
/// <param name="Directory">The run folder (runs/NAME).</param>
/// <param name="Seed">Seed of every generator.</param>
/// <param name="Data">char-lm: a UTF-8 text file instead of Jane Austen; forecast: sunspots, co2 or
/// air-passengers (default: all three).</param>
public sealed record SequenceRun(string Task, string Model, int Epochs, int Batch, double Lr, string Directory,
    ulong Seed, string? Data);

/// <summary>
/// <c>dendrite train --task sentiment|char-lm|names|forecast --model lstm|gru|rnn</c>: the course's sequence tasks
/// from the command line. A separate file, reached from <c>train</c> by its <c>--task</c> option, because these
/// tasks share nothing of the Fashion-MNIST path (data, model zoo, Trainer callbacks) except the run folder; the
/// data, models and training loops are the library's (Dendrite.Models.Sequence, the experiments' SequenceTasks).
/// Checkpoints carry what rebuilds the model; char-lm and names ones are sampled by <c>dendrite generate</c>.
/// </summary>
public static class RecurrentCommands
{
    /// <summary>The tasks <c>--task</c> takes besides fashion-mnist.</summary>
    public static IReadOnlyList<string> Tasks { get; } = ["sentiment", "char-lm", "names", "forecast"];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Trains, writes <c>checkpoint.safetensors</c> (and for forecasts <c>forecast.csv</c>) to the run
    /// folder, prints the metrics; returns the exit code.</summary>
    public static int Train(SequenceRun run, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(output);
        bool bidirectional = run.Model.StartsWith("bi", StringComparison.Ordinal);
        string cell = bidirectional ? run.Model[2..] : run.Model;
        if (!RecurrentEncoder.Cells.Contains(cell))
            throw new ArgumentException($"--model '{run.Model}': a sequence task takes rnn, lstm or gru (bilstm, " +
                "bigru, birnn for sentiment)");
        if (bidirectional && run.Task != "sentiment")
            throw new ArgumentException($"--model {run.Model}: only the sentiment classifier reads both ways; " +
                $"{run.Task} predicts forwards");
        if (run.Data is not null && run.Task is "sentiment" or "names")
            throw new ArgumentException($"--data: the {run.Task} task reads its own dataset");
        if (run.Epochs <= 0 || run.Batch <= 0)
            throw new ArgumentException($"--epochs {run.Epochs} and --batch {run.Batch} must be positive");
        Generator.ManualSeed(run.Seed);
        var g = new Generator(run.Seed + 1);
        Directory.CreateDirectory(run.Directory);
        var watch = Stopwatch.StartNew();
        int code = run.Task switch
        {
            "sentiment" => Sentiment(run, cell, bidirectional, g, output),
            "char-lm" => CharLm(run, cell, g, output),
            "names" => Names(run, cell, g, output),
            "forecast" => Forecast(run, cell, g, output),
            _ => throw new ArgumentException($"--task '{run.Task}': one of fashion-mnist, {string.Join(", ", Tasks)}"),
        };
        output.WriteLine($"done in {watch.Elapsed.TotalSeconds.ToString("F1", Inv)} s; wrote {run.Directory}/");
        return code;
    }

    private static int Sentiment(SequenceRun run, string cell, bool bidirectional, Generator g, TextWriter output)
    {
        var task = SequenceTasks.Sentiment(false, g);
        var model = new SentimentClassifier(new SentimentConfig(task.Vocabulary.Count, Cell: cell,
            Bidirectional: bidirectional), g);
        output.WriteLine($"{task.Source}: {task.Train.Ids.Count} train, {task.Validation.Ids.Count} validation, " +
            $"{task.Test.Ids.Count} test; {run.Model}, {model.ParameterCount().ToString("N0", Inv)} parameters");
        var r = SequenceTasks.TrainSentiment(model, task, run.Epochs, g, run.Batch, run.Lr, output.WriteLine);
        output.WriteLine($"test accuracy {r.TestAccuracy.ToString("P2", Inv)} (weights of epoch {r.BestEpoch}, " +
            $"validation {r.ValidationAccuracy.ToString("P2", Inv)})");
        var meta = new Dictionary<string, string>
        {
            ["task"] = "sentiment",
            ["cell"] = cell,
            ["bidirectional"] = bidirectional ? "true" : "false",
            ["embedding_dim"] = model.Config.EmbeddingDim.ToString(Inv),
            ["hidden_size"] = model.Config.HiddenSize.ToString(Inv),
            ["vocabulary"] = string.Join('\n', task.Vocabulary.Tokens),
            ["test_accuracy"] = r.TestAccuracy.ToString("R", Inv),
        };
        Safetensors.Save(Path.Combine(run.Directory, "checkpoint.safetensors"), model.StateDict(), meta);
        return 0;
    }

    private static int CharLm(SequenceRun run, string cell, Generator g, TextWriter output)
    {
        TextTask task;
        if (run.Data is null)
        {
            task = SequenceTasks.Austen(false, g);
        }
        else
        {
            string text = File.Exists(run.Data)
                ? File.ReadAllText(run.Data)
                : throw new IOException($"--data: text file '{run.Data}' does not exist");
            if (text.Length < 100)
                throw new ArgumentException($"--data: {run.Data} holds {text.Length} characters; need at least 100");
            int cut = text.Length * 9 / 10;
            task = new TextTask(text[..cut], text[cut..], $"{run.Data} (first 90 % train, last 10 % validation)");
        }
        var model = new CharLanguageModel(new CharModelConfig(CharLanguageModel.AlphabetOf(task.Train), Cell: cell), g);
        var (x, y) = CharStreams.Split(model.Encode(task.Train), run.Batch);
        var (xv, yv) = CharStreams.Split(model.Encode(task.Validation), Math.Min(run.Batch,
            Math.Max(1, (task.Validation.Length - 1) / 2)));
        var optimizer = new Adam(model.Parameters(), run.Lr);
        output.WriteLine($"{task.Source}: {task.Train.Length:N0} + {task.Validation.Length:N0} characters; " +
            $"{run.Model}, {model.ParameterCount().ToString("N0", Inv)} parameters");
        for (int e = 1; e <= run.Epochs; e++)
        {
            double train = CharStreams.TrainEpoch(model, x, y, optimizer, bptt: 100);
            double val = CharStreams.Evaluate(model, xv, yv);
            output.WriteLine($"epoch {e}: train {(train / Math.Log(2)).ToString("F3", Inv)}, validation " +
                $"{(val / Math.Log(2)).ToString("F3", Inv)} bits/char");
        }
        Save(run, model, model.Metadata("char-lm"));
        return 0;
    }

    private static int Names(SequenceRun run, string cell, Generator g, TextWriter output)
    {
        var task = SequenceTasks.Names(false, g);
        var model = new CharLanguageModel(new CharModelConfig(SequenceTasks.NamesAlphabet(task), HiddenSize: 128,
            Cell: cell, Conditions: 2), g);
        var optimizer = new Adam(model.Parameters(), run.Lr);
        output.WriteLine($"{task.Source}: {task.Train.Count} train, {task.Validation.Count} held out; {run.Model}, " +
            $"{model.ParameterCount().ToString("N0", Inv)} parameters");
        for (int e = 1; e <= run.Epochs; e++)
        {
            double train = SequenceTasks.TrainNamesEpoch(model, task.Train, optimizer, g, run.Batch);
            double held = SequenceTasks.EvaluateNames(model, task.Validation);
            output.WriteLine($"epoch {e}: train {train.ToString("F4", Inv)}, held-out {held.ToString("F4", Inv)} " +
                "nats/char");
        }
        var (bigram, _) = SequenceTasks.BigramBaseline(task);
        output.WriteLine($"bigram baseline: {bigram.ToString("F4", Inv)} nats/char held out");
        var meta = model.Metadata("names");
        meta["conditions_names"] = "female,male";
        Save(run, model, meta);
        return 0;
    }

    private static int Forecast(SequenceRun run, string cell, Generator g, TextWriter output)
    {
        var all = SequenceTasks.Series(false, g);
        var chosen = run.Data is null ? all : all.Where(s => s.Name == run.Data).ToList();
        if (chosen.Count == 0)
            throw new ArgumentException($"--data '{run.Data}': one of {string.Join(", ", all.Select(s => s.Name))}");
        var lines = new List<string> { "series,method,mae,mase" };
        foreach (var s in chosen)
        {
            var (scores, _, seconds) = SequenceTasks.Forecast(s, new ForecasterConfig(Cell: cell), run.Epochs, g);
            foreach (var sc in scores)
            {
                output.WriteLine($"{sc.Series,-16} {sc.Method,-24} MAE {sc.Mae.ToString("G4", Inv),10}  MASE " +
                    $"{sc.Mase.ToString("F3", Inv)}");
                lines.Add(string.Join(',', sc.Series, sc.Method, sc.Mae.ToString("R", Inv),
                    sc.Mase.ToString("R", Inv)));
            }
            output.WriteLine($"  ({s.Name}: trained in {seconds.ToString("F1", Inv)} s)");
        }
        AtomicFile.WriteText(Path.Combine(run.Directory, "forecast.csv"), string.Join('\n', lines) + "\n");
        return 0;
    }

    private static void Save(SequenceRun run, CharLanguageModel model, Dictionary<string, string> meta) =>
        Safetensors.Save(Path.Combine(run.Directory, "checkpoint.safetensors"), model.StateDict(), meta);
}
