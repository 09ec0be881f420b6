namespace Dendrite.Data;

// Short videos made from still images, in the manner of Moving MNIST (Srivastava, Mansimov & Salakhutdinov, 2015,
// "Unsupervised Learning of Video Representations using LSTMs"): each sequence takes one real image, shrinks it,
// and moves it across an empty canvas at a constant velocity, bouncing off the edges. Video models (DVD-GAN) train
// on them: the content of every frame is a real image, the motion is what the temporal part must learn.
//
// Shapes: images (N, 1, 28, 28) in [0, 1] → sequences (count, frames, 1, canvas, canvas) in [0, 1].

/// <summary>Sequences of a real image moving across a canvas (Moving-MNIST style), drawn reproducibly.</summary>
public static class MovingImages
{
    /// <summary>Draws <paramref name="count"/> sequences of <paramref name="frames"/> frames: each picks one of
    /// <paramref name="images"/> (N, 1, H, W) at random, resizes it to <paramref name="itemSize"/>² (bilinear; an
    /// exact 2×2 average when H = 2·itemSize), places it at a random position of an empty
    /// <paramref name="canvas"/>² frame and moves it by a random velocity of 1 to <paramref name="maxSpeed"/> pixels
    /// a frame, reflecting it at the edges. Returns the sequences (count, frames, 1, canvas, canvas) and the index
    /// of the image each one shows (count).</summary>
    public static (Tensor Sequences, long[] Sources) Make(Tensor images, int count, int frames = 8, int canvas = 28,
        int itemSize = 14, double maxSpeed = 2.5, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4 || images.Size(1) != 1)
            throw new ArgumentException(
                $"MovingImages.Make: images must be (N, 1, H, W), got {Shapes.Format(images.Shape)}");
        if (count <= 0 || frames <= 0)
            throw new ArgumentException($"MovingImages.Make: count {count} and frames {frames} must be positive");
        if (itemSize <= 0 || itemSize > canvas)
            throw new ArgumentException(
                $"MovingImages.Make: item size {itemSize} must be in 1..canvas ({canvas})");
        if (!(maxSpeed >= 1))
            throw new ArgumentException($"MovingImages.Make: maxSpeed {maxSpeed} must be at least 1");
        var g = generator ?? Generator.Default;
        var items = images.Size(2) == itemSize && images.Size(3) == itemSize
            ? images.Contiguous()
            : images.Interpolate([itemSize, itemSize], mode: InterpolateMode.Linear);
        var pixels = items.To(DType.Float32).ToFloatArray();
        int n = images.Size(0), frameSize = canvas * canvas, itemPixels = itemSize * itemSize;
        var output = new float[count * frames * frameSize];
        var sources = new long[count];
        int room = canvas - itemSize;
        for (int s = 0; s < count; s++)
        {
            long source = g.NextInt64(0, n);
            sources[s] = source;
            double x = g.NextDouble() * room, y = g.NextDouble() * room;
            double angle = g.NextDouble() * 2 * Math.PI, speed = 1 + g.NextDouble() * (maxSpeed - 1);
            double vx = speed * Math.Cos(angle), vy = speed * Math.Sin(angle);
            var item = pixels.AsSpan((int)source * itemPixels, itemPixels);
            for (int f = 0; f < frames; f++)
            {
                int left = (int)Math.Round(x), top = (int)Math.Round(y);
                var frame = output.AsSpan((s * frames + f) * frameSize, frameSize);
                for (int r = 0; r < itemSize; r++)
                    item.Slice(r * itemSize, itemSize).CopyTo(frame.Slice((top + r) * canvas + left, itemSize));
                (x, vx) = Bounce(x + vx, vx, room);
                (y, vy) = Bounce(y + vy, vy, room);
            }
        }
        return (Tensor.From(output, count, frames, 1, canvas, canvas), sources);
    }

    // Reflects a position that left [0, room] back inside it and turns the velocity around.
    private static (double Position, double Velocity) Bounce(double p, double v, int room)
    {
        if (room == 0) return (0, v);
        if (p < 0) return (Math.Min(-p, room), -v);
        if (p > room) return (Math.Max(2 * room - p, 0), -v);
        return (p, v);
    }
}
