namespace Dendrite.Models;

// The McCulloch–Pitts neuron (W. S. McCulloch and W. Pitts, "A logical calculus of the ideas immanent in nervous
// activity", Bulletin of Mathematical Biophysics 5, 1943). Inputs and output are binary. A connection is excitatory
// or inhibitory; inhibition is absolute: one active inhibitory input silences the unit. Otherwise the unit fires when
// the active excitatory inputs, counted with multiplicity (a weight of 2 is two parallel synapses), reach the
// threshold θ. There is no learning: the logician chooses the connections. Every Boolean function is a network of
// such units, but one unit computes only monotone-with-vetoes functions: XOR is not among them (the exhaustive
// search below shows it for every small weight and threshold), while two layers compute it.

/// <summary>One McCulloch–Pitts unit: y = 1 iff no inhibitory input is active and Σ wᵢxᵢ over excitatory inputs ≥
/// θ.</summary>
public sealed record McCullochPittsNeuron
{
    /// <summary>A unit over <c>excitatory.Length</c> inputs: excitatory multiplicities (0 = not connected),
    /// the inhibitory inputs, and the threshold.</summary>
    public McCullochPittsNeuron(int[] excitatory, bool[] inhibitory, int threshold)
    {
        if (excitatory.Length != inhibitory.Length)
            throw new ArgumentException($"McCullochPittsNeuron: {excitatory.Length} excitatory weights for " +
                $"{inhibitory.Length} inputs");
        if (excitatory.Any(w => w < 0))
            throw new ArgumentException("McCullochPittsNeuron: excitatory weights are multiplicities, >= 0");
        if (threshold < 0) throw new ArgumentException($"McCullochPittsNeuron: threshold must be >= 0, got " +
            $"{threshold}");
        Excitatory = excitatory;
        Inhibitory = inhibitory;
        Threshold = threshold;
    }

    /// <summary>Excitatory multiplicity per input.</summary>
    public int[] Excitatory { get; }

    /// <summary>Whether each input is an (absolute) inhibitory connection.</summary>
    public bool[] Inhibitory { get; }

    /// <summary>θ.</summary>
    public int Threshold { get; }

    /// <summary>The number of inputs.</summary>
    public int Inputs => Excitatory.Length;

    /// <summary>The unit's output for one binary input vector.</summary>
    public bool Fire(IReadOnlyList<bool> x)
    {
        if (x.Count != Inputs) throw new ArgumentException($"McCullochPittsNeuron: {x.Count} inputs given, the unit " +
            $"has {Inputs}");
        int sum = 0;
        for (int i = 0; i < Inputs; i++)
        {
            if (!x[i]) continue;
            if (Inhibitory[i]) return false;
            sum += Excitatory[i];
        }
        return sum >= Threshold;
    }

    /// <summary>x₁ ∧ … ∧ xₙ: every input excitatory, θ = n.</summary>
    public static McCullochPittsNeuron And(int n = 2) => new(Ones(n), new bool[n], n);

    /// <summary>x₁ ∨ … ∨ xₙ: every input excitatory, θ = 1.</summary>
    public static McCullochPittsNeuron Or(int n = 2) => new(Ones(n), new bool[n], 1);

    /// <summary>¬x: one inhibitory input, θ = 0 (the unit fires unless inhibited).</summary>
    public static McCullochPittsNeuron Not() => new([0], [true], 0);

    /// <summary>At least ⌈(n + 1)/2⌉ of n inputs on (n odd: the majority).</summary>
    public static McCullochPittsNeuron Majority(int n = 3) => new(Ones(n), new bool[n], (n + 2) / 2);

    /// <summary>x₀ ∧ ¬x₁: x₀ excitatory, x₁ inhibitory, θ = 1.</summary>
    public static McCullochPittsNeuron AndNot() => new([1, 0], [false, true], 1);

    /// <inheritdoc/>
    public override string ToString() =>
        $"excitatory [{string.Join(", ", Excitatory)}], inhibitory " +
            $"[{string.Join(", ", Inhibitory.Select(b => b ? 1 : 0))}], θ = {Threshold}";

    private static int[] Ones(int n) =>
        n >= 1 ? Enumerable.Repeat(1, n).ToArray() : throw new ArgumentException($"McCullochPittsNeuron: needs >= 1 " +
            $"input, got {n}");
}

/// <summary>Layers of McCulloch–Pitts units: layer 0 reads the inputs, each later layer the outputs of the one
/// before; the last layer's outputs are the network's.</summary>
public sealed class McCullochPittsNetwork
{
    /// <summary>A network of the given layers (each unit's input count must match the previous layer's
    /// width).</summary>
    public McCullochPittsNetwork(params McCullochPittsNeuron[][] layers)
    {
        if (layers.Length == 0 || layers.Any(l => l.Length == 0))
            throw new ArgumentException("McCullochPittsNetwork: needs at least one layer, each with at least one unit");
        for (int l = 1; l < layers.Length; l++)
        {
            foreach (var u in layers[l])
            {
                if (u.Inputs != layers[l - 1].Length)
                    throw new ArgumentException($"McCullochPittsNetwork: a unit of layer {l} has {u.Inputs} inputs, " +
                        $"layer {l - 1} has {layers[l - 1].Length} units");
            }
        }
        Layers = layers;
    }

    /// <summary>The layers, input side first.</summary>
    public IReadOnlyList<McCullochPittsNeuron[]> Layers { get; }

    /// <summary>The outputs of the last layer.</summary>
    public bool[] Fire(IReadOnlyList<bool> x)
    {
        IReadOnlyList<bool> h = x;
        foreach (var layer in Layers) h = layer.Select(u => u.Fire(h)).ToArray();
        return [.. h];
    }

    /// <summary>XOR in two layers: (x₀ ∧ ¬x₁) ∨ (¬x₀ ∧ x₁).</summary>
    public static McCullochPittsNetwork Xor() => new(
        [McCullochPittsNeuron.AndNot(), new McCullochPittsNeuron([0, 1], [true, false], 1)],
        [McCullochPittsNeuron.Or(2)]);

    /// <summary>NAND in two layers, ¬(x₀ ∧ x₁): one unit cannot (it must fire on 00, so θ = 0, and then only an
    /// inhibitory input could silence it on 11, which would silence it on 10 or 01 too).</summary>
    public static McCullochPittsNetwork Nand() => new([McCullochPittsNeuron.And(2)], [McCullochPittsNeuron.Not()]);
}

/// <summary>Exhaustive searches over single units.</summary>
public static class McCullochPitts
{
    /// <summary>The truth table of f over n inputs: entry i is f of the bits of i (bit j of i is xⱼ).</summary>
    public static bool[] TruthTable(Func<bool[], bool> f, int n)
    {
        var t = new bool[1 << n];
        for (int i = 0; i < t.Length; i++) t[i] = f(Bits(i, n));
        return t;
    }

    /// <summary>Every McCulloch–Pitts unit with excitatory multiplicities 0 … <paramref name="maxWeight"/>, any
    /// inputs inhibitory and θ in 0 … <paramref name="maxThreshold"/> that computes <paramref name="truthTable"/>
    /// (2ⁿ entries). An empty result for XOR is the claim that one unit cannot compute it.</summary>
    public static List<McCullochPittsNeuron> Search(bool[] truthTable, int maxWeight = 3, int maxThreshold = 6)
    {
        int n = InputCount(truthTable);
        var found = new List<McCullochPittsNeuron>();
        int choices = maxWeight + 2;   // per input: inhibitory, or excitatory with weight 0 … maxWeight
        int total = (int)Math.Pow(choices, n);
        for (int code = 0; code < total; code++)
        {
            var w = new int[n];
            var inh = new bool[n];
            int c = code;
            for (int j = 0; j < n; j++, c /= choices)
            {
                int v = c % choices;
                if (v == maxWeight + 1) inh[j] = true;
                else w[j] = v;
            }
            for (int theta = 0; theta <= maxThreshold; theta++)
            {
                var unit = new McCullochPittsNeuron(w, inh, theta);
                if (Computes(x => unit.Fire(x), truthTable, n)) found.Add(unit);
            }
        }
        return found;
    }

    /// <summary>Every threshold unit y = [Σ wᵢxᵢ ≥ θ] with integer weights in −<paramref name="maxWeight"/> …
    /// <paramref name="maxWeight"/> (relative rather than absolute inhibition) and θ in −maxThreshold … maxThreshold
    /// that computes <paramref name="truthTable"/>, as (weights, θ).</summary>
    public static List<(int[] Weights, int Threshold)> SearchThresholdUnits(bool[] truthTable, int maxWeight = 3,
        int maxThreshold = 6)
    {
        int n = InputCount(truthTable);
        var found = new List<(int[], int)>();
        int choices = 2 * maxWeight + 1;
        int total = (int)Math.Pow(choices, n);
        for (int code = 0; code < total; code++)
        {
            var w = new int[n];
            int c = code;
            for (int j = 0; j < n; j++, c /= choices) w[j] = c % choices - maxWeight;
            for (int theta = -maxThreshold; theta <= maxThreshold; theta++)
            {
                int th = theta;
                if (Computes(x => x.Select((b, j) => b ? w[j] : 0).Sum() >= th, truthTable, n)) found.Add((w, theta));
            }
        }
        return found;
    }

    private static bool Computes(Func<bool[], bool> f, bool[] truthTable, int n)
    {
        for (int i = 0; i < truthTable.Length; i++)
        {
            if (f(Bits(i, n)) != truthTable[i]) return false;
        }
        return true;
    }

    private static int InputCount(bool[] truthTable)
    {
        int n = (int)Math.Round(Math.Log2(truthTable.Length));
        if (truthTable.Length == 0 || 1 << n != truthTable.Length || n > 10)
            throw new ArgumentException($"McCullochPitts: a truth table has 2ⁿ entries (n ≤ 10), got " +
                $"{truthTable.Length}");
        return n;
    }

    private static bool[] Bits(int i, int n)
    {
        var x = new bool[n];
        for (int j = 0; j < n; j++) x[j] = ((i >> j) & 1) == 1;
        return x;
    }
}
