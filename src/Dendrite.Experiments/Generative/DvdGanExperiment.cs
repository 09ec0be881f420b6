using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;

namespace Dendrite.Experiments.Generative;

/// <summary>A small DVD-GAN on moving Fashion-MNIST items: sample clips as image strips, and the motion and
/// content of generated clips measured against real ones, with and without the temporal discriminator.</summary>
public sealed class DvdGanExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "dvdgan";

    /// <inheritdoc/>
    public override string Topic => "generative";

    /// <inheritdoc/>
    public override string Summary => "DVD-GAN (spatial + temporal discriminators) on moving Fashion-MNIST clips";

    /// <inheritdoc/>
    public override string Claim => """
        A video GAN can split its discriminator in two (Clark et al., 2019): a spatial one that judges a few single
        frames at full resolution, and a temporal one that judges the whole clip at reduced resolution. The
        spatial one alone cannot see motion, so without the temporal one nothing asks the generator for it.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int clips = context.Choose(3_000, 32), evalClips = context.Choose(300, 16);
        int frames = context.Choose(8, 4), epochs = context.Choose(3, 1), batch = context.Choose(32, 8);
        var config = context.Quick
            ? new DvdGanConfig(Frames: frames, NoiseDim: 16, FrameNoiseDim: 4, Hidden: 16, Channels: 4,
                SampledFrames: 2)
            : new DvdGanConfig(Frames: frames);
        var (images, _) = GanFamilyData.Take("train", context.Choose(20_000, 64), context.NewGenerator());
        var unit = GanImages.ToUnit(images);
        var (train, _) = MovingImages.Make(unit, clips, frames, generator: context.NewGenerator());
        var (real, _) = MovingImages.Make(unit, evalClips, frames, generator: context.NewGenerator());
        train = ToSigned(train);
        real = ToSigned(real);
        context.Setup($"Clips of {frames} frames, 28×28: one Fashion-MNIST training image from " +
            $"{GanFamilyData.Source} " +
            "shrunk to 14×14 (2×2 average) moves across an empty canvas at 1 to 2.5 pixels a frame in a random " +
            $"direction, bouncing off the edges (`MovingImages.Make`); {clips} training clips, pixels in [-1, 1]. " +
            $"Generator: noise {config.NoiseDim} → GRU ({config.Hidden} units, per-frame noise " +
            $"{config.FrameNoiseDim}) → shared frame decoder (dense → {2 * config.Channels}×7×7 → two transposed " +
            $"convolutions → tanh). D_S: {config.SampledFrames} random frames per clip, two stride-2 convolutions; " +
            "D_T: the clip at 14×14 with frames as channels, three convolutions. Non-saturating GAN losses, Adam " +
            $"(lr 2·10⁻⁴, β₁ 0.5), batch {batch}, {epochs} epoch(s). Motion: the centre of mass of each frame's " +
            $"pixels, its mean step between frames, over {evalClips} clips.");
        var table = context.Table("motion", "Motion and content of generated clips against real ones",
            "clips", "mean step (px/frame)", "static share (step < 0.5 px)", "mean brightness", "epochs", "train s");
        var (realStep, realStatic) = Motion(real);
        table.Add("real moving items", realStep, realStatic, Brightness(real), "", "");
        Tensor? strips = null;
        foreach (bool temporal in new[] { true, false })
        {
            var model = TensorScope.Outside(() => new DvdGan(config));
            var optimizers = model.CreateOptimizers();
            var loader = new DataLoader(train, train, batch, shuffle: true, dropLast: true,
                generator: context.NewGenerator());
            var noise = context.NewGenerator();
            var clock = Stopwatch.StartNew();
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                DvdGanLosses? last = null;
                foreach (var (x, _) in loader)
                {
                    using var scope = TensorScope.Begin();
                    last = model.TrainStep(x, optimizers, noise, temporalWeight: temporal ? 1 : 0);
                }
                context.Log($"dvdgan ({(temporal ? "D_S + D_T" : "D_S only")}): epoch {epoch}/{epochs}: D_S " +
                    $"{last?.Spatial:F3}, D_T {last?.Temporal:F3}, G {last?.Generator:F3}");
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var samples = model.Sample(evalClips, context.NewGenerator());
            var (step, still) = Motion(samples);
            string name = temporal ? "DVD-GAN (D_S + D_T)" : "spatial discriminator only";
            table.Add(name, step, still, Brightness(samples), epochs, seconds);
            context.Finding($"{name}, {epochs} epoch(s) in {seconds:F0} s: generated items move {step:F2} pixels " +
                $"a frame on average ({still:P0} of clips static), real ones {realStep:F2} ({realStatic:P0}).");
            int n = Math.Min(6, evalClips);
            var shown = samples.Narrow(0, 0, n).Reshape(n * frames, 1, 28, 28);
            strips = strips is null ? shown : Tensor.Cat([strips, shown], 0);
        }
        int k = Math.Min(6, evalClips);
        var realShown = real.Narrow(0, 0, k).Reshape(k * frames, 1, 28, 28);
        Plots.ImageGrid(context.Figure("dvdgan-strips", $"One clip per row, {frames} frames left to right: " +
            $"{k} real clips, {k} from DVD-GAN, {k} from the spatial-discriminator-only model"),
            GanImages.ToUnit(Tensor.Cat([realShown, strips!], 0)), new ImageGridOptions
            {
                Title = "Moving Fashion-MNIST: real, DVD-GAN, spatial only",
                Columns = frames,
                Normalization = ImageNormalization.None,
            });
    }

    private static Tensor ToSigned(Tensor unit)
    {
        using var _ = Autograd.NoGrad();
        return unit * 2 - 1;
    }

    // Mean distance the brightness centroid moves between consecutive frames, and the share of clips whose
    // centroid moves less than half a pixel a frame on average.   video (N, T, 1, H, W) in [-1, 1]
    private static (double Step, double Static) Motion(Tensor video)
    {
        int n = video.Size(0), t = video.Size(1), h = video.Size(3), w = video.Size(4);
        var v = ((video + 1) * 0.5).Clamp(0, 1).Reshape(n * t, h * w).ToFloatArray();
        var steps = new double[n];
        for (int i = 0; i < n; i++)
        {
            (double Y, double X)? previous = null;
            double sum = 0;
            for (int f = 0; f < t; f++)
            {
                double total = 0, cy = 0, cx = 0;
                int offset = (i * t + f) * h * w;
                for (int p = 0; p < h * w; p++)
                {
                    total += v[offset + p];
                    cy += v[offset + p] * (p / w);
                    cx += v[offset + p] * (p % w);
                }
                var centre = total > 0 ? (cy / total, cx / total) : (h / 2.0, w / 2.0);
                if (previous is { } q)
                    sum += Math.Sqrt(Math.Pow(centre.Item1 - q.Y, 2) + Math.Pow(centre.Item2 - q.X, 2));
                previous = centre;
            }
            steps[i] = sum / (t - 1);
        }
        return (steps.Average(), steps.Count(s => s < 0.5) / (double)n);
    }

    private static double Brightness(Tensor video)
    {
        using var _ = Autograd.NoGrad();
        return ((video + 1) * 0.5).Mean().Item();
    }
}
