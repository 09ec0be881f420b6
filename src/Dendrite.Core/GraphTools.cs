using System.Text;

namespace Dendrite;

// Gradients as values (Grad) and the graph as text (Describe).
public static partial class Autograd
{
    /// <summary>
    /// The gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, returned instead of
    /// accumulated: no <see cref="Tensor.Grad"/> anywhere changes (hooks still run). Each output needs a gradient
    /// in <paramref name="gradOutputs"/> unless it is a scalar (then 1). An input the outputs do not depend on is an
    /// error, or null with <paramref name="allowUnused"/>. With <paramref name="createGraph"/> the backward rules
    /// are recorded, so the gradients can be differentiated again (second derivatives, gradient penalties); the
    /// ops whose backward runs kernels directly (convolution, pooling, float32 batch norm) refuse it.
    /// The graph stays usable afterwards: a later Backward or Grad through it gives the same result.
    /// </summary>
    public static Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor[]? gradOutputs = null,
        bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (outputs.Length == 0) throw new ArgumentException("Autograd.Grad: no outputs given");
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException(
                $"Autograd.Grad: {gradOutputs.Length} output gradients given for {outputs.Length} outputs");
        var seeds = new Tensor[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            var y = outputs[i];
            if (!y.RequiresGrad)
                throw new ArgumentException(
                    $"Autograd.Grad: output {i} {Shapes.Format(y.Shape)} does not require gradients");
            var g = gradOutputs?[i];
            if (g is null)
            {
                if (y.Numel != 1)
                    throw new ArgumentException($"Autograd.Grad: output {i} {Shapes.Format(y.Shape)} is not a " +
                        "scalar; pass its gradient in gradOutputs");
                g = Tensor.OnesLike(y);
            }
            else if (!Shapes.Equal(g.Shape, y.Shape))
            {
                throw new ArgumentException($"Autograd.Grad: gradient {i} {Shapes.Format(g.Shape)} does not match " +
                    $"output {Shapes.Format(y.Shape)}");
            }
            seeds[i] = g;
        }
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].RequiresGrad)
                throw new ArgumentException(
                    $"Autograd.Grad: input {i} {Shapes.Format(inputs[i].Shape)} does not require gradients");
        }
        // A repeated input is captured in the slot of its first occurrence.
        var capture = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < inputs.Length; i++) capture.TryAdd(inputs[i], i);
        var captured = new Tensor?[inputs.Length];
        Run(outputs, seeds, capture, captured, createGraph);
        var result = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            result[i] = captured[capture[inputs[i]]];
            if (result[i] is null && !allowUnused)
                throw new InvalidOperationException($"Autograd.Grad: input {i} {Shapes.Format(inputs[i].Shape)} is " +
                    "not used to compute the outputs; pass allowUnused: true to get null for it");
        }
        return result;
    }

    /// <summary>dy/dx for a scalar <paramref name="output"/> y and one <paramref name="input"/> x, as a value
    /// (see <see cref="Grad(Tensor[], Tensor[], Tensor[], bool, bool)"/>).</summary>
    public static Tensor Grad(Tensor output, Tensor input, bool createGraph = false) =>
        Grad([output], [input], createGraph: createGraph)[0]!;

    /// <summary>
    /// The graph that produced <paramref name="tensor"/> as indented text, one tensor per line from the output to
    /// the leaves: the op with its attributes and the shape, or "leaf"/"constant" for tensors no recorded op made.
    /// A tensor reached twice is written out once and referred to by its number afterwards.
    /// </summary>
    public static string Describe(Tensor tensor)
    {
        var sb = new StringBuilder();
        var seen = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        var todo = new Stack<(Tensor T, int Depth)>();
        todo.Push((tensor, 0));
        while (todo.Count > 0)
        {
            var (t, depth) = todo.Pop();
            sb.Append(' ', 2 * depth);
            string shape = Shapes.Format(t.Shape);
            if (seen.TryGetValue(t, out int id))
            {
                sb.Append($"#{id} {shape} (above)\n");
                continue;
            }
            id = seen.Count;
            seen[t] = id;
            string what = t.GradFn?.ToString() ?? (t.RequiresGrad ? "leaf" : "constant");
            sb.Append($"#{id} {what} {shape}\n");
            if (t.GradFn is not { } fn) continue;
            for (int i = fn.Inputs.Count - 1; i >= 0; i--) todo.Push((fn.Inputs[i], depth + 1));
        }
        return sb.ToString();
    }
}
