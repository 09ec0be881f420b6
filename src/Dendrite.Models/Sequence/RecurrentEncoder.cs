using Dendrite.Nn;

namespace Dendrite.Models.Sequence;

/// <summary>The recurrent layer a sequence model is built around, chosen by name, as the CLI and the experiments
/// name it: <c>rnn</c> (tanh), <c>lstm</c> or <c>gru</c>. Always batch-first: x (B, T, I) → (B, T, D·H).</summary>
public static class RecurrentEncoder
{
    /// <summary>The cell names <see cref="Create"/> takes.</summary>
    public static IReadOnlyList<string> Cells { get; } = ["rnn", "lstm", "gru"];

    /// <summary>A batch-first <see cref="Rnn"/>, <see cref="Lstm"/> or <see cref="Gru"/>.</summary>
    public static RecurrentLayer Create(string cell, int inputSize, int hiddenSize, int numLayers = 1,
        bool bidirectional = false, double dropout = 0, Generator? generator = null) => cell switch
        {
            "rnn" => new Rnn(inputSize, hiddenSize, numLayers, batchFirst: true, dropout: dropout,
                bidirectional: bidirectional, generator: generator),
            "lstm" => new Lstm(inputSize, hiddenSize, numLayers, batchFirst: true, dropout: dropout,
                bidirectional: bidirectional, generator: generator),
            "gru" => new Gru(inputSize, hiddenSize, numLayers, batchFirst: true, dropout: dropout,
                bidirectional: bidirectional, generator: generator),
            _ => throw new ArgumentException(
                $"RecurrentEncoder: unknown cell '{cell}' (one of {string.Join(", ", Cells)})", nameof(cell)),
        };

    /// <summary>The last layer's final hidden state of every sequence, both directions side by side:
    /// state H (L·D, B, H) → (B, D·H).</summary>
    public static Tensor LastHidden(RecurrentLayer layer, RecurrentState state)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(state);
        int top = (layer.NumLayers - 1) * layer.Directions;
        return layer.Directions == 2
            ? Tensor.Cat([state.H.Select(0, top), state.H.Select(0, top + 1)], 1)
            : state.H.Select(0, top);
    }
}
