using Dendrite.Models;

namespace Dendrite.Tests.Classic;

public class McCullochPittsTests
{
    private static readonly bool[][] Pairs = [[false, false], [true, false], [false, true], [true, true]];

    [Fact]
    public void Gates_ComputeTheirTruthTables()
    {
        foreach (var x in Pairs)
        {
            Assert.Equal(x[0] && x[1], McCullochPittsNeuron.And().Fire(x));
            Assert.Equal(x[0] || x[1], McCullochPittsNeuron.Or().Fire(x));
            Assert.Equal(!(x[0] && x[1]), McCullochPittsNetwork.Nand().Fire(x)[0]);
            Assert.Equal(x[0] ^ x[1], McCullochPittsNetwork.Xor().Fire(x)[0]);
        }
        Assert.True(McCullochPittsNeuron.Not().Fire([false]));
        Assert.False(McCullochPittsNeuron.Not().Fire([true]));
        for (int i = 0; i < 8; i++)
        {
            bool[] x = [(i & 1) == 1, (i & 2) == 2, (i & 4) == 4];
            Assert.Equal(x.Count(b => b) >= 2, McCullochPittsNeuron.Majority(3).Fire(x));
        }
    }

    [Fact]
    public void Inhibition_IsAbsolute()
    {
        // Three excitatory synapses cannot outvote one inhibitory input.
        var unit = new McCullochPittsNeuron([3, 0], [false, true], 1);
        Assert.True(unit.Fire([true, false]));
        Assert.False(unit.Fire([true, true]));
    }

    [Fact]
    public void SingleUnit_CannotComputeXor_ExhaustiveSearch()
    {
        var xor = McCullochPitts.TruthTable(x => x[0] ^ x[1], 2);
        Assert.Empty(McCullochPitts.Search(xor, maxWeight: 4, maxThreshold: 9));
        Assert.Empty(McCullochPitts.SearchThresholdUnits(xor, maxWeight: 4, maxThreshold: 9));
        // The search does find the gates one unit can compute.
        var and = McCullochPitts.TruthTable(x => x[0] && x[1], 2);
        Assert.Contains(McCullochPitts.Search(and), u => u.Fire([true, true]) && !u.Fire([true, false]));
        var nand = McCullochPitts.TruthTable(x => !(x[0] && x[1]), 2);
        Assert.Empty(McCullochPitts.Search(nand));                   // absolute inhibition: needs two layers
        Assert.NotEmpty(McCullochPitts.SearchThresholdUnits(nand));  // signed weights: −x₀ − x₁ ≥ −1
    }

    [Fact]
    public void SingleUnit_ComputesElevenOfTheSixteenTwoInputFunctions()
    {
        // Absolute inhibition: all but XOR, XNOR, NAND and the two implications. Signed weights: all but XOR, XNOR.
        int mp = 0, threshold = 0;
        for (int code = 0; code < 16; code++)
        {
            var table = new bool[4];
            for (int i = 0; i < 4; i++) table[i] = ((code >> i) & 1) == 1;
            if (McCullochPitts.Search(table).Count > 0) mp++;
            if (McCullochPitts.SearchThresholdUnits(table).Count > 0) threshold++;
        }
        Assert.Equal(11, mp);
        Assert.Equal(14, threshold);
    }

    [Fact]
    public void Network_RejectsMismatchedLayers()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new McCullochPittsNetwork([McCullochPittsNeuron.And(2)], [McCullochPittsNeuron.Or(2)]));
        Assert.Contains("layer 1", e.Message);
        Assert.Throws<ArgumentException>(() => McCullochPittsNeuron.And().Fire([true]));
    }
}
