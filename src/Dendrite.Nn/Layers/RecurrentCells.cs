namespace Dendrite.Nn;

// One step of a recurrent network, for loops written by hand (decoders, teacher forcing, inspecting every hidden
// state): RnnCell, LstmCell, GruCell, with torch.nn.RNNCell/LSTMCell/GRUCell's parameters and names (weight_ih,
// weight_hh, bias_ih, bias_hh). The step is the same fused op as the layers' (a sequence of length one).
// Shapes: x (B, I) or (I); h, c (B, H) or (H).   Init (PyTorch's default): U(±1/√H).

/// <summary>Shared parameters and step of the three cells.</summary>
public abstract class RecurrentCell : Module
{
    private readonly CellKind kind;

    private protected RecurrentCell(CellKind kind, int inputSize, int hiddenSize, bool bias, Generator? generator)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize),
                $"{GetType().Name}: inputSize {inputSize} and hiddenSize {hiddenSize} must be positive");
        this.kind = kind;
        (InputSize, HiddenSize) = (inputSize, hiddenSize);
        int G = RecurrentCellKernels.Gates(kind) * hiddenSize;
        double bound = 1 / Math.Sqrt(hiddenSize);
        WeightIh = Init.Uniform([G, inputSize], bound, generator);
        WeightHh = Init.Uniform([G, hiddenSize], bound, generator);
        BiasIh = bias ? Init.Uniform([G], bound, generator) : null;
        BiasHh = bias ? Init.Uniform([G], bound, generator) : null;
    }

    /// <summary>(G·H, I), gates stacked in PyTorch's order.</summary>
    public Parameter WeightIh { get; }

    /// <summary>(G·H, H).</summary>
    public Parameter WeightHh { get; }

    /// <summary>(G·H), or null without bias.</summary>
    public Parameter? BiasIh { get; }

    /// <summary>(G·H), or null without bias.</summary>
    public Parameter? BiasHh { get; }

    /// <summary>Features of the input.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public int HiddenSize { get; }

    private protected (Tensor H, Tensor? C) Step(Tensor x, Tensor? h, Tensor? c)
    {
        string name = GetType().Name;
        bool single = x.Rank == 1;
        if (x.Rank is not (1 or 2) || x.Size(-1) != InputSize)
            throw new ArgumentException($"{name}: input {Shapes.Format(x.Shape)} must be (B, {InputSize}) or " +
                $"({InputSize})");
        var xb = single ? x.Unsqueeze(0) : x;
        int B = xb.Shape[0];
        Tensor State(Tensor? s, string what)
        {
            if (s is null) return Tensor.Zeros(x.DType, B, HiddenSize);
            var sb = single && s.Rank == 1 ? s.Unsqueeze(0) : s;
            if (sb.Rank != 2 || sb.Shape[0] != B || sb.Shape[1] != HiddenSize)
                throw new ArgumentException($"{name}: {what} {Shapes.Format(s.Shape)} must be ({B}, {HiddenSize}) " +
                    $"for input {Shapes.Format(x.Shape)}");
            return sb;
        }
        var h0 = State(h, "h");
        var c0 = kind == CellKind.Lstm ? State(c, "c") : null;
        var r = RecurrentScan.Run(kind, xb.Unsqueeze(0), WeightIh, WeightHh, BiasIh, BiasHh, h0, c0, null, false);
        var hn = r[1];
        var cn = kind == CellKind.Lstm ? r[2] : null;
        return single ? (hn.Squeeze(0), cn?.Squeeze(0)) : (hn, cn);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}({InputSize}, {HiddenSize}, bias={BiasIh is not null})";
}

/// <summary>h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act tanh or ReLU (torch.nn.RNNCell).</summary>
public sealed class RnnCell(int inputSize, int hiddenSize, bool relu = false, bool bias = true,
    Generator? generator = null)
    : RecurrentCell(relu ? CellKind.RnnRelu : CellKind.RnnTanh, inputSize, hiddenSize, bias, generator)
{
    /// <summary>One step from <paramref name="h"/> (zeros when null).   x (B, I), h (B, H) → (B, H).</summary>
    public Tensor Forward(Tensor x, Tensor? h = null) => Step(x, h, null).H;
}

/// <summary>LSTM step (torch.nn.LSTMCell): i, f, g, o from x and h; c' = f·c + i·g; h' = o·tanh(c').</summary>
public sealed class LstmCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
    : RecurrentCell(CellKind.Lstm, inputSize, hiddenSize, bias, generator)
{
    /// <summary>One step from (h, c) (zeros when null).   x (B, I), h, c (B, H) → h', c' (B, H).</summary>
    public (Tensor H, Tensor C) Forward(Tensor x, Tensor? h = null, Tensor? c = null)
    {
        var (hn, cn) = Step(x, h, c);
        return (hn, cn!);
    }
}

/// <summary>GRU step (torch.nn.GRUCell): r, z, n from x and h; h' = (1 − z)·n + z·h.</summary>
public sealed class GruCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
    : RecurrentCell(CellKind.Gru, inputSize, hiddenSize, bias, generator)
{
    /// <summary>One step from <paramref name="h"/> (zeros when null).   x (B, I), h (B, H) → (B, H).</summary>
    public Tensor Forward(Tensor x, Tensor? h = null) => Step(x, h, null).H;
}
