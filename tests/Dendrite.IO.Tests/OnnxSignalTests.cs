using static Dendrite.IO.Tests.OnnxOpHarness;

namespace Dendrite.IO.Tests;

// DFT checked by its defining identities: the inverse undoes the forward transform, an impulse has a flat
// spectrum, and onesided output is the first half of the full one.
public class OnnxSignalTests
{
    [Fact]
    public void Dft_InverseUndoesForward()
    {
        var x = Tensor.Rand([2, 6, 1], new Generator(1));
        var spectrum = Run1("DFT", In(x));
        Assert.Equal([2, 6, 2], spectrum.Shape.ToArray());
        var back = Run("DFT", [In(spectrum)], attributes: Attrs(("inverse", 1)))[0];
        for (int b = 0; b < 2; b++)
        {
            for (int t = 0; t < 6; t++)
            {
                Assert.Equal(x[b, t, 0], back[b, t, 0], 5);
                Assert.Equal(0, back[b, t, 1], 5);
            }
        }
    }

    [Fact]
    public void Dft_ImpulseIsFlatAndOnesidedIsTheFirstHalf()
    {
        var impulse = Tensor.Zeros(1, 8, 1);
        impulse[0, 0, 0] = 1;
        var full = Run1("DFT", In(impulse));
        for (int k = 0; k < 8; k++)
        {
            Assert.Equal(1, full[0, k, 0], 6);
            Assert.Equal(0, full[0, k, 1], 6);
        }
        var x = Tensor.Rand([1, 8, 1], new Generator(2));
        var all = Run1("DFT", In(x));
        var half = Run("DFT", [In(x)], attributes: Attrs(("onesided", 1)))[0];
        Assert.Equal([1, 5, 2], half.Shape.ToArray());
        Assert.Equal(all.Slice(1, 0, 5).Contiguous().ToArray<float>(), half.ToArray<float>());
        Rejects(() => Run1("DFT", In(Tensor.Zeros(1, 8, 3))), "[batch, …, 1 or 2]");
        Rejects(() => Run1("DFT", In(x), In(Longs(0))), "dft_length 0");
    }
}
