// The loop shared by the adversarial models (GAN, conditional GAN, DCGAN, and the image-to-image GANs built on
// them): a generator module and a discriminator module, each with its own optimizer, trained by a step the model
// supplies (one graph per batch, two backward passes). The loop owns what is the same for all of them: epochs over a
// DataLoader, a TensorScope per batch, a sample grid per epoch, and checkpoints from which a resumed run continues
// exactly as an uninterrupted one would (both modules, both optimizers, the epoch, and the noise, loader and default
// random generators).
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Training;

/// <summary>The losses one adversarial step reports.</summary>
/// <param name="Discriminator">The discriminator's loss.</param>
/// <param name="Generator">The generator's loss.</param>
public readonly record struct AdversarialLosses(double Discriminator, double Generator);

/// <summary>One epoch of <see cref="AdversarialTrainer.Fit"/>.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="DiscriminatorLoss">The discriminator's loss averaged over the epoch's batches.</param>
/// <param name="GeneratorLoss">The generator's loss averaged over the epoch's batches.</param>
/// <param name="Seconds">Wall time of the epoch's training steps.</param>
/// <param name="Grid">The sample grid written after the epoch, or null.</param>
public sealed record AdversarialEpoch(int Epoch, double DiscriminatorLoss, double GeneratorLoss, double Seconds,
    string? Grid);

/// <summary>Trains a generator and a discriminator with two optimizers, batch by batch, with a step the model
/// provides; writes a grid of samples per epoch and checkpoints with exact resume.</summary>
/// <param name="generator">The generator (or a module holding every generator of the model).</param>
/// <param name="discriminator">The discriminator (or a module holding every discriminator).</param>
/// <param name="generatorOptimizer">The generator's optimizer.</param>
/// <param name="discriminatorOptimizer">The discriminator's optimizer.</param>
/// <param name="noise">The random generator the step draws its noise from (its state is checkpointed).</param>
public sealed class AdversarialTrainer(Module generator, Module discriminator, Optimizer generatorOptimizer,
    Optimizer discriminatorOptimizer, Generator noise)
{
    /// <summary>The generator module.</summary>
    public Module GeneratorModule { get; } = generator ?? throw new ArgumentNullException(nameof(generator));

    /// <summary>The discriminator module.</summary>
    public Module DiscriminatorModule { get; } =
        discriminator ?? throw new ArgumentNullException(nameof(discriminator));

    /// <summary>The generator's optimizer.</summary>
    public Optimizer GeneratorOptimizer { get; } =
        generatorOptimizer ?? throw new ArgumentNullException(nameof(generatorOptimizer));

    /// <summary>The discriminator's optimizer.</summary>
    public Optimizer DiscriminatorOptimizer { get; } =
        discriminatorOptimizer ?? throw new ArgumentNullException(nameof(discriminatorOptimizer));

    /// <summary>The step's random generator.</summary>
    public Generator Noise { get; } = noise ?? throw new ArgumentNullException(nameof(noise));

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; private set; }

    /// <summary>Images to draw after each epoch, (N, C, H, W) with pixels in [-1, 1] (a fixed noise batch through
    /// the generator shows its progress), or null for no grids.</summary>
    public Func<Tensor>? Sampler { get; init; }

    /// <summary>Images per row of the per-epoch grids (about √N when null); a conditional model's grid reads best
    /// with one column per class.</summary>
    public int? GridColumns { get; init; }

    /// <summary>Folder of the per-epoch grids <c>epoch-001.png</c>, … (with <see cref="Sampler"/>).</summary>
    public string? GridFolder { get; init; }

    /// <summary>Checkpoint written atomically after each epoch, or null.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Metadata written into every checkpoint: what rebuilds the model (its kind and sizes; the key
    /// <c>generator</c> is what <c>dendrite generate</c> dispatches on).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Trains until <paramref name="untilEpoch"/> epochs are complete in total (so the same call resumes a
    /// run loaded by <see cref="LoadCheckpoint"/>), calling <paramref name="step"/> on each batch (x, y) inside a
    /// <see cref="TensorScope"/> with both modules in training mode.</summary>
    public List<AdversarialEpoch> Fit(DataLoader data, Func<Tensor, Tensor, AdversarialLosses> step, int untilEpoch,
        TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(step);
        if (untilEpoch < 0) throw new ArgumentException($"AdversarialTrainer.Fit: untilEpoch {untilEpoch} < 0");
        var history = new List<AdversarialEpoch>();
        while (Epoch < untilEpoch)
        {
            int epoch = Epoch + 1;
            GeneratorModule.Train();
            DiscriminatorModule.Train();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            double sumD = 0, sumG = 0;
            int batches = 0;
            foreach (var (x, y) in data)
            {
                using var scope = TensorScope.Begin();
                var losses = step(x, y);
                sumD += losses.Discriminator;
                sumG += losses.Generator;
                batches++;
            }
            double seconds = clock.Elapsed.TotalSeconds;
            Epoch = epoch;
            var grid = WriteGrid(epoch);
            var result = new AdversarialEpoch(epoch, sumD / Math.Max(1, batches), sumG / Math.Max(1, batches),
                seconds, grid);
            history.Add(result);
            if (CheckpointPath is not null) SaveCheckpoint(CheckpointPath, data);
            string where = grid is null ? "" : ", grid " + grid;
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            log?.WriteLine(string.Create(inv, $"epoch {epoch}/{untilEpoch}: D loss {result.DiscriminatorLoss:F4}, ")
                + string.Create(inv, $"G loss {result.GeneratorLoss:F4}, {seconds:F1} s{where}"));
        }
        return history;
    }

    private string? WriteGrid(int epoch)
    {
        if (Sampler is null || GridFolder is null) return null;
        Directory.CreateDirectory(GridFolder);
        var path = Path.Combine(GridFolder, $"epoch-{epoch:D3}.png");
        using var scope = TensorScope.Begin();
        Tensor images;
        using (Autograd.NoGrad()) images = ((Sampler() + 1) * 0.5).Clamp(0, 1);
        Plots.ImageGrid(path, images, new ImageGridOptions
        {
            Title = $"epoch {epoch}",
            Columns = GridColumns,
            Normalization = ImageNormalization.None,
        });
        return path;
    }

    /// <summary>Writes both modules (<c>generator.*</c>, <c>discriminator.*</c>), both optimizers
    /// (<c>optim_g.*</c>, <c>optim_d.*</c>), the epoch and the random generators' states to a safetensors file,
    /// atomically, with <see cref="Metadata"/>.</summary>
    public void SaveCheckpoint(string path, DataLoader data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, v) in GeneratorModule.StateDict()) d["generator." + k] = v;
        foreach (var (k, v) in DiscriminatorModule.StateDict()) d["discriminator." + k] = v;
        foreach (var (k, v) in GeneratorOptimizer.StateDict()) d["optim_g." + k] = v;
        foreach (var (k, v) in DiscriminatorOptimizer.StateDict()) d["optim_d." + k] = v;
        d["trainer.epoch"] = Tensor.Scalar(Epoch, DType.Int64);
        d["rng.noise"] = State(Noise);
        d["rng.loader"] = State(data.Generator);
        d["rng.default"] = State(Generator.Default);
        var meta = new Dictionary<string, string>(Metadata)
        {
            ["epoch"] = Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        Safetensors.Save(path, d, meta);
    }

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote, checking every part before changing anything (a bad
    /// file leaves the trainer, modules and optimizers as they were); returns the file's metadata.</summary>
    public IReadOnlyDictionary<string, string> LoadCheckpoint(string path, DataLoader data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (d, meta) = Safetensors.Load(path);
        SafetensorsFormatException Bad(string field, string message) => new($"{path}: {field}: {message}");
        Tensor Need(string key) => d.TryGetValue(key, out var t) ? t : throw Bad(key, "checkpoint has no such tensor");
        ulong[] RngState(string key)
        {
            var t = Need(key);
            if (t.DType != DType.Int64 || t.Numel != 5)
                throw Bad(key, $"a generator state is 5 INT64 words, got {t.DType} {Shapes.Format(t.Shape)}");
            var bits = t.ToArray<long>().Select(l => unchecked((ulong)l)).ToArray();
            try
            {
                new Generator(0).SetState(bits);
            }
            catch (ArgumentException e)
            {
                throw Bad(key, e.Message);
            }
            return bits;
        }
        var epochTensor = Need("trainer.epoch");
        if (epochTensor.DType != DType.Int64 || epochTensor.Numel != 1
            || (long)epochTensor.Item() is < 0 or > int.MaxValue)
            throw Bad("trainer.epoch", $"must be one INT64 value in 0..{int.MaxValue}, got {epochTensor}");
        var noiseState = RngState("rng.noise");
        var loaderState = RngState("rng.loader");
        var defaultState = RngState("rng.default");
        var parts = new (string Prefix, Func<Dictionary<string, Tensor>> Save,
            Action<Dictionary<string, Tensor>> Load)[]
        {
            ("generator.", () => Copy(GeneratorModule.StateDict()), s => GeneratorModule.LoadStateDict(s)),
            ("discriminator.", () => Copy(DiscriminatorModule.StateDict()), s => DiscriminatorModule.LoadStateDict(s)),
            ("optim_g.", GeneratorOptimizer.StateDict, GeneratorOptimizer.LoadStateDict),
            ("optim_d.", DiscriminatorOptimizer.StateDict, DiscriminatorOptimizer.LoadStateDict),
        };
        foreach (var (prefix, _, _) in parts)
        {
            foreach (var (key, t) in d.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)))
            {
                if (t.DType.IsFloating() && !t.ToArray<double>().All(double.IsFinite))
                    throw Bad(key, "holds NaN or infinite values");
            }
        }
        var before = parts.Select(p => p.Save()).ToArray();
        try
        {
            foreach (var (prefix, _, load) in parts) load(Section(d, prefix));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException
            or IndexOutOfRangeException or FormatException)
        {
            for (int i = 0; i < parts.Length; i++) parts[i].Load(before[i]);
            throw new SafetensorsFormatException($"{path}: model or optimizer state: {e.Message}", e);
        }
        Noise.SetState(noiseState);
        data.Generator.SetState(loaderState);
        Generator.Default.SetState(defaultState);
        Epoch = (int)(long)epochTensor.Item();
        return meta;
    }

    private static Dictionary<string, Tensor> Copy(Dictionary<string, Tensor> state) =>
        state.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());

    private static Dictionary<string, Tensor> Section(Dictionary<string, Tensor> d, string prefix) =>
        d.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    private static Tensor State(Generator g) => Tensor.From(g.GetState().Select(u => unchecked((long)u)).ToArray());
}
