using static Dendrite.IO.Tests.OnnxOpHarness;

namespace Dendrite.IO.Tests;

// RNN, GRU and LSTM on one hidden unit, where each step can be written out here.
public class OnnxRecurrentTests
{
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private static Tensor Weights(params float[] v) => Tensor.From(v, 1, v.Length, 1);

    [Fact]
    public void Rnn_StepsAndStopsAtTheSequenceLength()
    {
        // X [T=3, B=2, I=1]; batch entry 1 runs 2 steps.
        var x = Tensor.From([0.5f, -1f, 0.25f, 2f, -0.75f, 9f], 3, 2, 1);
        float w = 0.8f, r = -0.6f, wb = 0.1f, rb = 0.05f;
        var outs = Run("RNN", [In(x), In(Weights(w)), In(Weights(r)), In(Tensor.From([wb, rb], 1, 2)),
            In(Longs(3, 2))], outputs: 2, attributes: Attrs(("hidden_size", 1)));
        var xv = x.ToArray<float>();
        for (int b = 0; b < 2; b++)
        {
            double h = 0;
            for (int t = 0; t < 3; t++)
            {
                bool live = t < (b == 0 ? 3 : 2);
                if (live) h = Math.Tanh(w * xv[t * 2 + b] + r * h + wb + rb);
                Assert.Equal(live ? h : 0, outs[0][t, 0, b, 0], 5);
            }
            Assert.Equal(h, outs[1][0, b, 0], 5);
        }
    }

    [Fact]
    public void Gru_ZeroWeightsHalveTheState()
    {
        // All weights zero: z = r = σ(0) = ½ and h̃ = tanh(0) = 0, so each step halves the state.
        var x = Tensor.Ones(2, 1, 1);
        var h0 = Tensor.From([0.8f], 1, 1, 1);
        var outs = Run("GRU", [In(x), In(Tensor.Zeros(1, 3, 1)), In(Tensor.Zeros(1, 3, 1)), Absent, Absent, In(h0)],
            outputs: 2, attributes: Attrs(("hidden_size", 1)));
        Assert.Equal(0.4, outs[0][0, 0, 0, 0], 6);
        Assert.Equal(0.2, outs[1][0, 0, 0], 6);
    }

    [Fact]
    public void Lstm_OneStepFollowsTheGateEquations()
    {
        var x = Tensor.From([0.7f], 1, 1, 1);
        float[] w = [0.3f, -0.2f, 0.5f, 0.9f], r = [0.1f, 0.4f, -0.3f, 0.2f]; // gates i, o, f, c
        var h0 = Tensor.From([0.25f], 1, 1, 1);
        var c0 = Tensor.From([-0.5f], 1, 1, 1);
        var outs = Run("LSTM", [In(x), In(Weights(w)), In(Weights(r)), Absent, Absent, In(h0), In(c0)],
            outputs: 3, attributes: Attrs(("hidden_size", 1)));
        double Gate(int k) => w[k] * 0.7 + r[k] * 0.25;
        double i = Sigmoid(Gate(0)), o = Sigmoid(Gate(1)), f = Sigmoid(Gate(2)), cand = Math.Tanh(Gate(3));
        double c = f * -0.5 + i * cand;
        Assert.Equal(c, outs[2][0, 0, 0], 5);
        Assert.Equal(o * Math.Tanh(c), outs[1][0, 0, 0], 5);
    }

    [Fact]
    public void Recurrent_RejectsBadShapesAndAttributes()
    {
        var x = Tensor.Ones(2, 1, 3);
        Rejects(() => Run("RNN", [In(x), In(Tensor.Zeros(1, 4, 2)), In(Tensor.Zeros(1, 4, 4))],
            attributes: Attrs(("hidden_size", 4))), "W [1,4,2]", "[1,4,3]");
        Rejects(() => Run("RNN", [In(x), In(Tensor.Zeros(1, 4, 3)), In(Tensor.Zeros(1, 4, 4))],
            attributes: Attrs(("hidden_size", 4), ("direction", "sideways"))), "direction 'sideways'");
        Rejects(() => Run("GRU", [In(x), In(Tensor.Zeros(1, 12, 3)), In(Tensor.Zeros(1, 12, 4)), Absent,
            In(Longs(5))], attributes: Attrs(("hidden_size", 4))), "sequence_lens");
    }
}
