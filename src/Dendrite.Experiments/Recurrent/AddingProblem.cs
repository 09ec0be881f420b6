using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Recurrent;

/// <summary>
/// The adding problem (Hochreiter and Schmidhuber, 1997; the form of Le, Jaitly and Hinton, 2015): each step
/// carries a value drawn from U(0, 1) and a marker; exactly two steps are marked, one in each half of the sequence,
/// and the target is the sum of their two values. Predicting the mean, 1, scores the variance of a sum of two
/// uniforms, 2/12 ≈ 0.167; doing better needs information carried across up to T steps.
/// Shapes: x (T, B, 2) = (value, marker), y (B, 1).
/// </summary>
internal static class AddingProblem
{
    /// <summary>MSE of always predicting the mean: Var(U₁ + U₂) = 1/6.</summary>
    public const double MeanBaseline = 1.0 / 6;

    /// <summary>A fresh batch of <paramref name="batch"/> sequences of <paramref name="steps"/> steps.</summary>
    public static (Tensor X, Tensor Y) Batch(int steps, int batch, Generator g)
    {
        var x = new float[steps * batch * 2];
        var y = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            int first = (int)g.NextInt64(0, steps / 2), second = (int)g.NextInt64(steps / 2, steps);
            for (int t = 0; t < steps; t++)
            {
                float v = (float)g.NextDouble();
                int at = (t * batch + b) * 2;
                x[at] = v;
                if (t == first || t == second)
                {
                    x[at + 1] = 1;
                    y[b] += v;
                }
            }
        }
        return (Tensor.From(x, steps, batch, 2), Tensor.From(y, batch, 1));
    }

    /// <summary>A recurrent layer of the given kind (rnn, lstm, gru) with a linear read-out of its last output.
    /// </summary>
    public sealed class Model : Module
    {
        public Model(string kind, int hidden, Generator g)
        {
            Kind = kind;
            Body = kind switch
            {
                "lstm" => new Lstm(2, hidden, generator: g),
                "gru" => new Gru(2, hidden, generator: g),
                _ => new Rnn(2, hidden, generator: g),
            };
            Head = new Linear(hidden, 1);
            // the read-out from the same generator (Linear draws from the default one), so a seed fixes everything
            double bound = 1 / Math.Sqrt(hidden);
            Head.Weight.CopyFrom(Tensor.Rand([1, hidden], g, -bound, bound));
            Head.Bias!.CopyFrom(Tensor.Rand([1], g, -bound, bound));
        }

        /// <summary>rnn, lstm or gru.</summary>
        public string Kind { get; }

        /// <summary>The recurrent layer.</summary>
        public RecurrentLayer Body { get; }

        /// <summary>The read-out.</summary>
        public Linear Head { get; }

        /// <summary>x (T, B, 2) → (B, 1).</summary>
        public Tensor Forward(Tensor x) => Head.Forward(Body.Forward(x).Output.Select(0, x.Shape[0] - 1));

        /// <summary>The MSE on a batch, without gradients.</summary>
        public double Evaluate(int steps, int batch, Generator g)
        {
            using var _ = Autograd.NoGrad();
            var (x, y) = Batch(steps, batch, g);
            return Losses.Mse(Forward(x), y).Item();
        }

        /// <summary>‖dL/dhₜ‖ for t = 1..T on one batch: the model unrolled step by step with a cell holding the
        /// layer's weights, so that every hidden state is a tensor of the graph. Averaged over the batch rows.
        /// </summary>
        public double[] StateGradientNorms(int steps, int batch, Generator g)
        {
            var (x, y) = Batch(steps, batch, g);
            int hidden = Body.HiddenSize;
            RecurrentCell cell = Kind switch
            {
                "lstm" => new LstmCell(2, hidden),
                "gru" => new GruCell(2, hidden),
                _ => new RnnCell(2, hidden),
            };
            cell.LoadStateDict(Body.StateDict(), remap: (k, v) => (k.Replace("_l0", "", StringComparison.Ordinal), v));
            var hs = new Tensor[steps];
            Tensor? h = null, c = null;
            for (int t = 0; t < steps; t++)
            {
                var xt = x.Select(0, t);
                if (cell is LstmCell lc) (h, c) = lc.Forward(xt, h, c);
                else h = cell is GruCell gc ? gc.Forward(xt, h) : ((RnnCell)cell).Forward(xt, h);
                hs[t] = h;
            }
            var loss = Losses.Mse(Head.Forward(h!), y);
            var grads = Autograd.Grad([loss], hs);
            return [.. grads.Select(gr => (gr! * gr!).Sum(1).Sqrt().Mean().Item())];
        }
    }

    /// <summary>Trains with Adam on fresh batches; returns the training loss of every step. A non-null
    /// <paramref name="clip"/> clips the gradients' joint norm; <paramref name="gradNorms"/> receives the norm
    /// before clipping.</summary>
    public static List<double> Train(Model model, int steps, int seqLength, int batch, double lr, Generator g,
        double? clip = null, List<double>? gradNorms = null, Optimizer? optimizer = null)
    {
        optimizer ??= new Adam(model.Parameters(), lr: lr);
        var losses = new List<double>(steps);
        for (int s = 0; s < steps; s++)
        {
            using var scope = TensorScope.Begin();
            var (x, y) = Batch(seqLength, batch, g);
            optimizer.ZeroGrad();
            var loss = Losses.Mse(model.Forward(x), y);
            loss.Backward();
            double norm = Clip.GradNorm(model.Parameters(), clip ?? double.PositiveInfinity);
            gradNorms?.Add(norm);
            optimizer.Step();
            losses.Add(loss.Item());
        }
        return losses;
    }

    /// <summary>The mean of the last <paramref name="n"/> values (a smoothed final loss).</summary>
    public static double Tail(List<double> values, int n) => values.Skip(Math.Max(0, values.Count - n)).Average();
}
