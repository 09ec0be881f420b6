namespace Dendrite.Data.Tests;

public sealed class MovingImagesTests
{
    // Three 28×28 "images", each a distinct pattern with no zero pixel, so an item can be found and identified
    // in a frame by its values.
    private static Tensor Images()
    {
        var g = new Generator(3);
        return Tensor.Rand([3, 1, 28, 28], g, 0.1, 1);
    }

    // (row, column) of the item's top-left corner in a frame: the first non-zero pixel's position.
    private static (int Row, int Col) Corner(float[] frame, int canvas)
    {
        int first = Array.FindIndex(frame, v => v != 0);
        return (first / canvas, first % canvas);
    }

    [Fact]
    public void Make_EveryFrameShowsTheShrunkSourceImageInsideTheCanvas()
    {
        var images = Images();
        var (video, sources) = MovingImages.Make(images, count: 5, frames: 6, canvas: 32, itemSize: 14,
            generator: new Generator(1));
        Assert.Equal([5, 6, 1, 32, 32], video.Shape.ToArray());
        var items = images.AvgPool2d((2, 2)).ToFloatArray();   // bilinear ×½ is the 2×2 average
        for (int s = 0; s < 5; s++)
        {
            var item = items.AsSpan((int)sources[s] * 196, 196).ToArray();
            for (int f = 0; f < 6; f++)
            {
                var frame = video.Select(0, s).Select(0, f).Reshape(-1).ToFloatArray();
                var (row, col) = Corner(frame, 32);
                Assert.Equal(196, frame.Count(v => v != 0));
                for (int r = 0; r < 14; r++)
                {
                    for (int c = 0; c < 14; c++)
                        Assert.Equal(item[r * 14 + c], (double)frame[(row + r) * 32 + col + c], 1e-6);
                }
            }
        }
    }

    [Fact]
    public void Make_MovesAtBoundedSpeedAndBouncesOffTheEdges()
    {
        var (video, _) = MovingImages.Make(Images(), count: 40, frames: 12, canvas: 28, itemSize: 14,
            maxSpeed: 3, generator: new Generator(2));
        bool bounced = false;
        for (int s = 0; s < 40; s++)
        {
            var corners = Enumerable.Range(0, 12)
                .Select(f => Corner(video.Select(0, s).Select(0, f).Reshape(-1).ToFloatArray(), 28)).ToArray();
            for (int f = 1; f < 12; f++)
            {
                int dr = corners[f].Row - corners[f - 1].Row, dc = corners[f].Col - corners[f - 1].Col;
                // one step of at most 3 pixels, plus rounding of both positions
                Assert.True(Math.Abs(dr) <= 4 && Math.Abs(dc) <= 4, $"sequence {s}, frame {f}: jump ({dr}, {dc})");
                if (f > 1)
                {
                    int pr = corners[f - 1].Row - corners[f - 2].Row, pc = corners[f - 1].Col - corners[f - 2].Col;
                    bounced |= (pr > 0 && dr < 0) || (pr < 0 && dr > 0) || (pc > 0 && dc < 0) || (pc < 0 && dc > 0);
                }
            }
        }
        Assert.True(bounced, "no sequence changed direction at an edge");
    }

    [Fact]
    public void Make_IsReproducibleAndChecksItsArguments()
    {
        var images = Images();
        var (a, sa) = MovingImages.Make(images, 3, generator: new Generator(4));
        var (b, sb) = MovingImages.Make(images, 3, generator: new Generator(4));
        Assert.Equal(a.ToFloatArray(), b.ToFloatArray());
        Assert.Equal(sa, sb);
        Assert.Contains("MovingImages.Make: images must be (N, 1, H, W), got [3,784]",
            Assert.Throws<ArgumentException>(() => MovingImages.Make(images.Reshape(3, 784), 2)).Message);
        Assert.Contains("item size 30 must be in 1..canvas (28)",
            Assert.Throws<ArgumentException>(() => MovingImages.Make(images, 2, itemSize: 30)).Message);
    }
}
