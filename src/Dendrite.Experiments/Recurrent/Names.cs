using System.Diagnostics;
using Dendrite.IO;
using Dendrite.Models.Sequence;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Recurrent;

/// <summary>One-to-many: a name generator conditioned on gender (and prompted with a first letter), against a
/// character bigram.</summary>
public sealed class Names : Experiment
{
    /// <inheritdoc/>
    public override string Name => "names";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "a gender-conditioned character LSTM that generates first names, vs a bigram";

    /// <inheritdoc/>
    public override string Claim => """
        A recurrent generator unrolls one input — here a gender, embedded and given at every step, and optionally a
        first letter as the prompt — into a sequence of characters (one-to-many), sampling each character and
        feeding it back until it emits the end marker. Its held-out loss per character is lower than a smoothed
        character bigram's, because its state remembers more than the previous character.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var g = context.NewGenerator();
        var task = SequenceTasks.Names(context.Quick, g);
        int hidden = context.Choose(128, 16), epochs = context.Choose(25, 2);
        string alphabet = SequenceTasks.NamesAlphabet(task);
        Generator.ManualSeed((ulong)context.Seed + 7);
        var model = new CharLanguageModel(new CharModelConfig(alphabet, EmbeddingDim: 32, HiddenSize: hidden,
            Conditions: 2), g);
        context.Setup($"Data: {task.Source}; {task.Train.Count} training and {task.Validation.Count} held-out names " +
            "(lower-cased, shuffled with the run's seed). Each name is read as ⏎ + name and predicts name + ⏎.");
        context.Setup($"Model: embedding 32 plus a gender embedding added at every step, one LSTM layer of {hidden} " +
            $"units, {model.ParameterCount():N0} parameters; Adam lr 3e-3, batches of 64 bucketed by length, " +
            $"gradient norm clipped at 5, {epochs} epochs. Baseline: a character bigram with interpolated Kneser–Ney " +
            "smoothing (unconditional).");
        var (bigram, discount) = SequenceTasks.BigramBaseline(task);
        var optimizer = new Adam(model.Parameters(), 3e-3);
        var train = new List<double>();
        var held = new List<double>();
        var watch = Stopwatch.StartNew();
        for (int e = 1; e <= epochs; e++)
        {
            train.Add(SequenceTasks.TrainNamesEpoch(model, task.Train, optimizer, g));
            held.Add(SequenceTasks.EvaluateNames(model, task.Validation));
            context.Log($"epoch {e}: train {train[^1]:F4}, held-out {held[^1]:F4} nats/char");
        }
        double seconds = watch.Elapsed.TotalSeconds;
        var table = context.Table("loss", "Held-out loss per character (nats, end marker included)", "model",
            "epochs", "held-out nats / char", "seconds");
        table.Add($"bigram (Kneser–Ney, d = {discount})", "-", bigram, "-");
        table.Add("LSTM, gender-conditioned", epochs, held[^1], seconds);
        Plots.Line(context.Figure("loss", "Loss per character per epoch, with the bigram"),
            [Series.PerEpoch("LSTM train", train), Series.PerEpoch("LSTM held-out", held),
                Series.PerEpoch("bigram held-out", [.. held.Select(_ => bigram)])],
            new LineOptions { Title = "Name generator", XLabel = "epoch", YLabel = "nats / char", IntegerX = true });
        var samples = context.Table("samples", "Samples at temperature 0.8", "gender", "first letter", "names");
        var known = task.Train.Select(n => n.Name).ToHashSet();
        int fresh = 0, total = 0;
        foreach (var (gender, label) in new[] { (0L, "female"), (1L, "male") })
        {
            foreach (string first in new[] { "", context.Quick ? "a" : "m", context.Quick ? "j" : "s" })
            {
                var names = Enumerable.Range(0, 6).Select(_ => first + model.Sample(SequenceTasks.NameBoundary + first,
                    20, 0.8, g, gender, SequenceTasks.NameBoundary)).ToList();
                fresh += names.Count(n => !known.Contains(n));
                total += names.Count;
                samples.Add(label, first.Length == 0 ? "(any)" : first, string.Join(", ", names));
            }
        }
        context.Finding($"Held-out loss: LSTM {held[^1]:F3} nats per character after {epochs} epochs " +
            $"({seconds:F0} s), bigram {bigram:F3}: " +
            (held[^1] < bigram ? "the LSTM is lower." : "the LSTM is not lower."));
        context.Finding($"{fresh} of {total} sampled names are not in the training list.");
    }
}
