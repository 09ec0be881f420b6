namespace Dendrite;

// Differentiable ops defined outside the library: a caller computes the output (with Tensor ops under NoGrad, or
// with its own kernel over spans) and records it with the rule that maps the output's gradient to the inputs'.
// The engine treats such a node like a built-in one: NoGrad, hooks, DetectAnomaly, the shape check on every
// returned gradient and the in-place check on the saved tensors all apply.
//
// Several outputs (an LSTM cell's h and c) share one node. Each output gets a small node that hands its gradient to
// the shared one through a 0-dimensional "anchor" tensor; the anchor comes after every output in the engine's
// topological order, so when its backward runs it has the gradients of all outputs and calls the op's backward
// once. The outputs keep their own memory: no packing into one tensor, no copies.
public static partial class Autograd
{
    /// <summary>
    /// Records <paramref name="output"/> as the result of a differentiable op named <paramref name="name"/> with
    /// the given <paramref name="inputs"/>, and returns it. <paramref name="backward"/> maps dL/d(output) to one
    /// gradient per input (null where none is needed), each of its input's shape. <paramref name="saved"/> lists
    /// the tensors the backward reads: writing to one in place afterwards makes the backward fail instead of
    /// computing a wrong gradient. Compute the output under <see cref="NoGrad"/> (or from detached inputs): it must
    /// be a new tensor that no recorded op produced. The backward runs under NoGrad, except for
    /// <see cref="Grad(Tensor[], Tensor[], Tensor[], bool, bool)"/> with createGraph: then <see cref="IsEnabled"/>
    /// is true inside it and, for second derivatives to be right, it must compute from the inputs (or outputs) with
    /// Tensor ops, since tensors made under NoGrad in the forward are constants to the graph. Pass
    /// <paramref name="differentiable"/> false when it does not (a kernel over spans, or saved NoGrad
    /// intermediates): createGraph then fails at this op instead of giving wrong second derivatives.
    /// </summary>
    /// <example><code>
    /// Tensor y, s;
    /// using (Autograd.NoGrad())
    /// {
    ///     s = w.Sigmoid();
    ///     y = x * s;
    /// }
    /// y = Autograd.Op("GatedMul", y, [x, w], dy => [dy * s, dy * x * s * (1 - s)], saved: [x, s]);
    /// </code></example>
    public static Tensor Op(string name, Tensor output, Tensor[] inputs, Func<Tensor, Tensor?[]> backward,
        Tensor[]? saved = null, IReadOnlyDictionary<string, object>? attributes = null, bool differentiable = true)
    {
        CheckOp(name, [output], inputs, backward);
        return output.Record(name, inputs, backward, saved, Pairs(attributes), differentiable);
    }

    /// <summary>
    /// Records an op with several outputs (for example an LSTM cell's h and c) as one node and returns
    /// <paramref name="outputs"/>. <paramref name="backward"/> receives one gradient per output, in order (zeros
    /// for an output no loss depends on), and returns one gradient per input. Everything else is as in the
    /// single-output overload.
    /// </summary>
    public static Tensor[] Op(string name, Tensor[] outputs, Tensor[] inputs, Func<Tensor[], Tensor?[]> backward,
        Tensor[]? saved = null, IReadOnlyDictionary<string, object>? attributes = null, bool differentiable = true)
    {
        CheckOp(name, outputs, inputs, backward);
        if (!IsEnabled || !inputs.Any(x => x.RequiresGrad)) return outputs;
        var anchorType = outputs.FirstOrDefault(o => o.DType.IsFloating())?.DType
            ?? throw new ArgumentException($"{name}: no output is floating-point, so none can carry a gradient");
        int n = outputs.Length;
        var slots = new Tensor?[n];
        var slotPass = new long[n];
        var anchor = Tensor.Empty(anchorType, []);
        anchor.Record(name, inputs, _ =>
        {
            var dys = new Tensor[n];
            for (int i = 0; i < n; i++)
            {
                dys[i] = slotPass[i] == Pass && slots[i] is { } g ? g : Tensor.ZerosLike(outputs[i]);
                slots[i] = null;
            }
            return backward(dys);
        }, saved, Pairs(attributes), differentiable);
        for (int i = 0; i < n; i++)
        {
            if (!outputs[i].DType.IsFloating()) continue;
            int k = i;
            outputs[i].Record(name, [anchor], g =>
            {
                slots[k] = g;
                slotPass[k] = Pass;
                return [Tensor.Scalar(0, anchorType)];
            }, attributes: [("output", k)]);
        }
        return outputs;
    }

    private static void CheckOp(string name, Tensor[] outputs, Tensor[] inputs, Delegate backward)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(backward);
        if (outputs.Length == 0) throw new ArgumentException($"{name}: an op needs at least one output");
        for (int i = 0; i < outputs.Length; i++)
        {
            var o = outputs[i];
            string shape = Shapes.Format(o.Shape);
            if (o.GradFn is { } fn)
                throw new ArgumentException($"{name}: output {i} {shape} was already recorded by {fn.Name}; compute " +
                    "the forward under Autograd.NoGrad() or from detached inputs");
            if (o.RequiresGrad || inputs.Any(x => ReferenceEquals(x, o)))
                throw new ArgumentException($"{name}: output {i} {shape} is an input or a leaf that requires " +
                    "gradients; return a new tensor");
            for (int j = 0; j < i; j++)
            {
                if (ReferenceEquals(outputs[j], o))
                    throw new ArgumentException($"{name}: outputs {j} and {i} are the same tensor");
            }
        }
    }

    private static (string Name, object Value)[]? Pairs(IReadOnlyDictionary<string, object>? attributes) =>
        attributes?.Select(kv => (kv.Key, kv.Value)).ToArray();
}
