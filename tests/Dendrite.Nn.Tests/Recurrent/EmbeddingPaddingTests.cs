namespace Dendrite.Nn.Tests.Recurrent;

/// <summary>Embedding's padding row (zero at init, never a gradient, as torch's padding_idx) and frozen tables.
/// </summary>
public class EmbeddingPaddingTests
{
    [Fact]
    public void Embedding_PaddingRowGetsNoGradient()
    {
        Generator.ManualSeed(3);
        var emb = new Embedding(5, 3, paddingIndex: 0);
        Assert.All(emb.Weight.Select(0, 0).ToFloatArray(), v => Assert.Equal(0f, v));
        var ids = Tensor.From(new long[] { 2, 0, 2, 4, 0 }, 5);
        var y = emb.Forward(ids);
        Assert.Equal([5, 3], y.Shape.ToArray());
        (y * Tensor.Arange(15).Reshape(5, 3).To(DType.Float32)).Sum().Backward();
        var g = emb.Weight.Grad!;
        Assert.All(g.Select(0, 0).ToFloatArray(), v => Assert.Equal(0f, v));
        // row 2 is read at positions 0 and 2: its gradient is the sum of their weights (0,1,2) + (6,7,8)
        Assert.Equal(new float[] { 6, 8, 10 }, g.Select(0, 2).ToFloatArray());
        Assert.Equal(new float[] { 9, 10, 11 }, g.Select(0, 4).ToFloatArray());
        Assert.All(g.Select(0, 1).ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Embedding_FrozenAndPretrained()
    {
        var table = Tensor.Arange(6).Reshape(3, 2).To(DType.Float32);
        var emb = Embedding.FromPretrained(table);
        Assert.False(emb.Weight.RequiresGrad);
        Assert.Equal(0, emb.ParameterCount(trainableOnly: true));
        Assert.Equal(new float[] { 4, 5, 0, 1 }, emb.Forward(Tensor.From(new long[] { 2, 0 }, 2)).ToFloatArray());
        Assert.True(Embedding.FromPretrained(table, freeze: false).Weight.RequiresGrad);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(3, 2, paddingIndex: 3));
    }
}
