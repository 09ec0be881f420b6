using System.Collections;
using System.Globalization;
using System.Text;

namespace Dendrite;

/// <summary>One recorded op in the autograd graph: its name and attributes (stride, axis, keepDim, …), its inputs,
/// the tensors its backward reads, and the rule that maps the output's gradient to the inputs' gradients (null
/// where an input needs none).</summary>
public sealed class Node
{
    private static readonly (string Name, object Value)[] NoAttributes = [];

    // A node is made per op per step, so its size counts: the first two saved tensors and their versions at record
    // time are fields (most ops save at most two); `extra` is null, the attribute pairs alone, or an Extra when the
    // op saves more than two tensors or its backward is not differentiable.
    private readonly Tensor? saved0, saved1;
    private readonly int version0, version1;
    private readonly object? extra;

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, ReadOnlySpan<Tensor> saved,
        (string Name, object Value)[]? attributes, bool differentiable, Action<Tensor, Tensor>? addIntoInput = null)
    {
        Name = name;
        Inputs = inputs;
        Backward = backward;
        if (saved.Length > 0)
        {
            saved0 = saved[0];
            version0 = saved0.Storage.Version;
        }
        if (saved.Length > 1)
        {
            saved1 = saved[1];
            version1 = saved1.Storage.Version;
        }
        if (saved.Length <= 2 && differentiable && addIntoInput is null)
        {
            extra = attributes;
            return;
        }
        var more = saved.Length > 2 ? saved[2..].ToArray() : [];
        var versions = new int[more.Length];
        for (int i = 0; i < more.Length; i++) versions[i] = more[i].Storage.Version;
        extra = new Extra(attributes ?? NoAttributes, more, versions, differentiable, addIntoInput);
    }

    private sealed record Extra((string Name, object Value)[] Attributes, Tensor[] More, int[] Versions,
        bool Differentiable, Action<Tensor, Tensor>? AddIntoInput);

    private (string Name, object Value)[] AttributePairs => extra switch
    {
        (string Name, object Value)[] pairs => pairs,
        Extra e => e.Attributes,
        _ => NoAttributes,
    };

    private int SavedCount => saved0 is null ? 0 : saved1 is null ? 1 : 2 + ((extra as Extra)?.More.Length ?? 0);

    private Tensor SavedAt(int i) => i switch
    {
        0 => saved0!,
        1 => saved1!,
        _ => ((Extra)extra!).More[i - 2],
    };

    private int VersionAt(int i) => i switch
    {
        0 => version0,
        1 => version1,
        _ => ((Extra)extra!).Versions[i - 2],
    };

    /// <summary>The op's name, as shown in errors and printing.</summary>
    public string Name { get; }

    /// <summary>The op's tensor inputs.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>The op's non-tensor arguments by name (for example <c>stride</c>, <c>padding</c>, <c>axes</c>,
    /// <c>keepDim</c>); pairs of sizes are <c>int[]</c>.</summary>
    public IReadOnlyDictionary<string, object> Attributes => new AttributeMap(AttributePairs);

    /// <summary>The tensors the backward rule reads (inputs, the output or intermediates), checked for in-place
    /// writes before it runs.</summary>
    public IReadOnlyList<Tensor> Saved => [.. Enumerable.Range(0, SavedCount).Select(SavedAt)];

    internal Func<Tensor, Tensor?[]> Backward { get; }

    /// <summary>For a view op (one input): adds the view's gradient g into a gradient of the input's full shape, in
    /// place (pending, g). Autograd uses it when the input already holds a gradient of its own from this pass, so
    /// the q, k, v slices of one projection add into one buffer instead of three zero-padded copies summed.</summary>
    internal Action<Tensor, Tensor>? AddIntoInput => (extra as Extra)?.AddIntoInput;

    /// <summary>False when the backward rule runs kernels directly instead of recorded tensor ops, so its result
    /// cannot be differentiated again.</summary>
    internal bool Differentiable => extra is not Extra { Differentiable: false };

    /// <summary>The name followed by the attributes: <c>Conv2d(stride=[2, 2], padding=[1, 1, 1, 1], groups=1)</c>.
    /// </summary>
    public override string ToString()
    {
        var attributes = AttributePairs;
        if (attributes.Length == 0) return Name;
        var sb = new StringBuilder(Name).Append('(');
        for (int i = 0; i < attributes.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(attributes[i].Name).Append('=').Append(FormatValue(attributes[i].Value));
        }
        return sb.Append(')').ToString();
    }

    internal static string FormatValue(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => s,
        IFormattable f when v is not IEnumerable => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(FormatValue)) + "]",
        _ => v.ToString() ?? "",
    };

    // Throws when a saved tensor was written in place after this op recorded it, or when its memory went back to
    // the pool (a TensorScope ended): either way the backward would read the wrong numbers.
    internal void CheckSaved(Tensor output)
    {
        int n = SavedCount;
        for (int i = 0; i < n; i++)
        {
            var s = SavedAt(i);
            if (!s.Storage.IsAlive)
                throw new InvalidOperationException(
                    $"{this} backward: {Describe(s, output)} was released: trying to backward through the graph " +
                    "after the TensorScope that made it ended (Keep the tensors a second backward needs)");
            int expected = VersionAt(i);
            if (s.Storage.Version != expected)
                throw new InvalidOperationException(
                    $"{this} backward: one of the variables needed for gradient computation has been modified by " +
                    $"an inplace operation: {Describe(s, output)} is at version {s.Storage.Version}; expected " +
                    $"version {expected}");
        }
    }

    // Names a saved tensor by its role: "input 1 of Mul [3,4]", "the output of Tanh [3]", "output of Exp [2]".
    private string Describe(Tensor s, Tensor output)
    {
        string shape = Shapes.Format(s.Shape);
        if (ReferenceEquals(s, output)) return $"the output of {Name} {shape}";
        for (int j = 0; j < Inputs.Count; j++)
        {
            if (ReferenceEquals(Inputs[j], s)) return $"input {j} of {Name} {shape}";
        }
        return s.GradFn is { } fn ? $"output of {fn.Name} {shape} saved by {Name}" : $"tensor {shape} saved by {Name}";
    }

    // A read-only name → value view over the attribute pairs (a handful, so a linear search).
    private sealed class AttributeMap((string Name, object Value)[] pairs) : IReadOnlyDictionary<string, object>
    {
        public object this[string key] =>
            TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"Node has no attribute '{key}'");

        public IEnumerable<string> Keys => pairs.Select(p => p.Name);

        public IEnumerable<object> Values => pairs.Select(p => p.Value);

        public int Count => pairs.Length;

        public bool ContainsKey(string key) => TryGetValue(key, out _);

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out object value)
        {
            foreach (var (n, v) in pairs)
            {
                if (n == key)
                {
                    value = v;
                    return true;
                }
            }
            value = null;
            return false;
        }

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator() =>
            pairs.Select(p => new KeyValuePair<string, object>(p.Name, p.Value)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
