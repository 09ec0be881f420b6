namespace Dendrite.Nn;

// Recurrent layers over whole sequences: Rnn (Elman, 1990), Lstm (Hochreiter and Schmidhuber, 1997; the forget
// gate of Gers et al., 2000) and Gru (Cho et al., 2014), with PyTorch's weight layout, gate order and state-dict
// names (weight_ih_l0, weight_hh_l1_reverse, bias_ih_l0, ...), so torch.nn.RNN/LSTM/GRU checkpoints load as they are.
// Shapes: T steps, B batch, I input features, H hidden size, L layers, D directions (2 when bidirectional).
//   x (T, B, I), or (B, T, I) when batchFirst  →  output (T, B, D·H) (or (B, T, D·H));  state H, C (L·D, B, H)
// Each layer and direction is one fused op (RecurrentScan): the input projection of all steps as one matrix
// product, then per step one product with W_hh and the fused gate arithmetic.

/// <summary>The state of a recurrent layer or cell: the hidden state h and, for an LSTM, the cell state c.
/// Layers: (L·D, B, H) each; cells: (B, H).</summary>
public sealed record RecurrentState(Tensor H, Tensor? C = null)
{
    /// <summary>The same state cut from the graph that produced it: truncated backpropagation through time carries
    /// the values to the next chunk of a stream, not the gradient path.</summary>
    public RecurrentState Detach() => new(H.Detach(), C?.Detach());
}

/// <summary>Base of <see cref="Rnn"/>, <see cref="Lstm"/> and <see cref="Gru"/>: a stack of layers, each one or
/// two directions.   x (T, B, I) [or (B, T, I) when batchFirst] → (T, B, D·H), state (L·D, B, H).
/// Init (PyTorch's default): every weight and bias ~ U(±1/√H).</summary>
public abstract class RecurrentLayer : Module
{
    private readonly CellKind kind;
    private readonly Generator? generator;
    private readonly List<Parameter?[]> weights = [];

    private protected RecurrentLayer(CellKind kind, int inputSize, int hiddenSize, int numLayers, bool bias,
        bool batchFirst, double dropout, bool bidirectional, Generator? generator)
    {
        string name = GetType().Name;
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), $"{name}: inputSize {inputSize}, hiddenSize " +
                $"{hiddenSize} and numLayers {numLayers} must be positive");
        if (dropout is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(dropout), $"{name}: dropout must be in [0, 1), got {dropout}");
        (this.kind, this.generator) = (kind, generator);
        (InputSize, HiddenSize, NumLayers, BatchFirst, Dropout, Bidirectional) =
            (inputSize, hiddenSize, numLayers, batchFirst, dropout, bidirectional);
        int G = RecurrentCellKernels.Gates(kind) * hiddenSize;
        double bound = 1 / Math.Sqrt(hiddenSize);
        for (int l = 0; l < numLayers; l++)
        {
            for (int d = 0; d < Directions; d++)
            {
                string sfx = $"_l{l}" + (d == 1 ? "_reverse" : "");
                int inF = l == 0 ? inputSize : Directions * hiddenSize;
                weights.Add(
                [
                    RegisterParameter("weight_ih" + sfx, Init.Uniform([G, inF], bound, generator)),
                    RegisterParameter("weight_hh" + sfx, Init.Uniform([G, hiddenSize], bound, generator)),
                    bias ? RegisterParameter("bias_ih" + sfx, Init.Uniform([G], bound, generator)) : null,
                    bias ? RegisterParameter("bias_hh" + sfx, Init.Uniform([G], bound, generator)) : null,
                ]);
            }
        }
    }

    /// <summary>Features per input step.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state (per direction).</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers; layer l + 1 reads the output of layer l.</summary>
    public int NumLayers { get; }

    /// <summary>True when inputs and outputs are (B, T, ·) instead of (T, B, ·).</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on the output of every layer but the last, in training mode.</summary>
    public double Dropout { get; }

    /// <summary>True when each layer also reads the sequence backwards and concatenates both outputs.</summary>
    public bool Bidirectional { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Runs the layers over <paramref name="x"/> from <paramref name="state"/> (zeros when null).
    /// With <paramref name="lengths"/> (one per batch entry, each in 1..T, any order) the steps of entry b from
    /// lengths[b] on are padding: they neither update the state nor reach the output (zeros there), the final
    /// state is the one after each entry's last real step, and the reverse direction starts from it.</summary>
    public (Tensor Output, RecurrentState State) Forward(Tensor x, RecurrentState? state = null,
        int[]? lengths = null)
    {
        string name = GetType().Name;
        if (x.Rank != 3 || x.Size(-1) != InputSize)
            throw new ArgumentException($"{name}: input {Shapes.Format(x.Shape)} must be " +
                $"{(BatchFirst ? "(B, T, " : "(T, B, ")}{InputSize})");
        var seq = BatchFirst ? x.Transpose(0, 1) : x;
        int T = seq.Shape[0], B = seq.Shape[1], H = HiddenSize, LD = NumLayers * Directions;
        if (T == 0) throw new ArgumentException($"{name}: input {Shapes.Format(x.Shape)} has no time steps");
        CheckLengths(name, lengths, T, B);
        bool lstm = kind == CellKind.Lstm;
        var h0 = state?.H ?? Tensor.Zeros(x.DType, LD, B, H);
        var c0 = lstm ? state?.C ?? Tensor.Zeros(x.DType, LD, B, H) : null;
        CheckState(name, "h0", h0, LD, B);
        if (c0 is not null) CheckState(name, "c0", c0, LD, B);
        if (!lstm && state?.C is not null)
            throw new ArgumentException($"{name}: only an LSTM has a cell state; pass RecurrentState(h) alone");
        var hs = new Tensor[LD];
        var cs = new Tensor[LD];
        var input = seq;
        for (int l = 0; l < NumLayers; l++)
        {
            var ys = new Tensor[Directions];
            for (int d = 0; d < Directions; d++)
            {
                int k = l * Directions + d;
                var w = weights[k];
                var r = RecurrentScan.Run(kind, input, w[0]!, w[1]!, w[2], w[3], h0.Select(0, k),
                    c0?.Select(0, k), lengths, reverse: d == 1);
                (ys[d], hs[k]) = (r[0], r[1]);
                if (lstm) cs[k] = r[2];
            }
            input = Directions == 2 ? Tensor.Cat(ys, 2) : ys[0];                   // (T, B, D·H)
            if (Training && Dropout > 0 && l < NumLayers - 1)
            {
                var keep = Tensor.Bernoulli(1 - Dropout, input.Shape, generator, input.DType);
                input = input * keep * (1 / (1 - Dropout));
            }
        }
        var output = BatchFirst ? input.Transpose(0, 1) : input;
        return (output, new RecurrentState(Tensor.Stack(hs), lstm ? Tensor.Stack(cs) : null));
    }

    /// <summary><see cref="Forward"/> through the module's forward hooks.</summary>
    public (Tensor Output, RecurrentState State) Call(Tensor x, RecurrentState? state = null, int[]? lengths = null) =>
        Invoke([x, state, lengths], a => Forward((Tensor)a[0]!, (RecurrentState?)a[1], (int[]?)a[2]));

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}({InputSize}, {HiddenSize}, num_layers={NumLayers}, " +
        $"bidirectional={Bidirectional}, batch_first={BatchFirst}, dropout={Dropout})";

    internal static void CheckLengths(string name, int[]? lengths, int T, int B)
    {
        if (lengths is null) return;
        if (lengths.Length != B)
            throw new ArgumentException($"{name}: {lengths.Length} lengths for a batch of {B}");
        for (int b = 0; b < B; b++)
        {
            if (lengths[b] < 1 || lengths[b] > T)
                throw new ArgumentException($"{name}: lengths[{b}] = {lengths[b]} is outside 1..{T} (the steps of " +
                    "the padded batch)");
        }
    }

    private void CheckState(string name, string what, Tensor s, int layersTimesDirections, int batch)
    {
        if (s.Rank != 3 || s.Shape[0] != layersTimesDirections || s.Shape[1] != batch || s.Shape[2] != HiddenSize)
            throw new ArgumentException($"{name}: {what} {Shapes.Format(s.Shape)} must be " +
                $"({layersTimesDirections}, {batch}, {HiddenSize}) = (layers·directions, batch, hidden)");
    }
}

/// <summary>Elman RNN: hₜ = act(xₜ·W_ihᵀ + b_ih + hₜ₋₁·W_hhᵀ + b_hh), act tanh or ReLU (torch.nn.RNN).</summary>
public sealed class Rnn(int inputSize, int hiddenSize, int numLayers = 1, bool relu = false, bool bias = true,
    bool batchFirst = false, double dropout = 0, bool bidirectional = false, Generator? generator = null)
    : RecurrentLayer(relu ? CellKind.RnnRelu : CellKind.RnnTanh, inputSize, hiddenSize, numLayers, bias,
        batchFirst, dropout, bidirectional, generator)
{
    /// <summary>True for ReLU, false for tanh.</summary>
    public bool Relu { get; } = relu;
}

/// <summary>LSTM (torch.nn.LSTM), gates i, f, g, o stacked in that order in W (4H, ·):
/// c = f·c + i·g,  h = o·tanh(c).</summary>
public sealed class Lstm(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    double dropout = 0, bool bidirectional = false, Generator? generator = null)
    : RecurrentLayer(CellKind.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional,
        generator);

/// <summary>GRU (torch.nn.GRU), gates r, z, n stacked in that order in W (3H, ·):
/// n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)),  h = (1 − z)·n + z·h.</summary>
public sealed class Gru(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    double dropout = 0, bool bidirectional = false, Generator? generator = null)
    : RecurrentLayer(CellKind.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional,
        generator);
