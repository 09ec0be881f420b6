using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Dendrite.Nn;

/// <summary>A Keras-style model summary: one row per module of the tree (containers as group rows, their children
/// indented below), with its output shape and the parameters it holds directly, then totals. Output shapes are
/// recorded by forward hooks on every module while one sample batch runs, so any module tree works as long as
/// modules call their children through <see cref="ModuleExtensions.Call"/> or <c>Invoke</c>.</summary>
public static class Summary
{
    /// <summary>The summary table of <paramref name="model"/> (an <see cref="ILayer"/>) run on zeros of
    /// <paramref name="inputShape"/> (batch dimension included).</summary>
    public static string Of(Module model, int[] inputShape, DType inputType = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not ILayer layer)
            throw new ArgumentException($"Summary: {model.GetType().Name} does not take one tensor (it is not an " +
                "ILayer); use Summary.Of(model, forward) with a forward that calls it");
        return Of(model, () => layer.Call(Tensor.Zeros(inputType, inputShape)));
    }

    /// <summary>The summary table of <paramref name="model"/> while <paramref name="forward"/> (which calls the
    /// model on sample inputs and returns its output) runs once, in evaluation mode and without gradients.</summary>
    public static string Of(Module model, Func<object?> forward)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forward);
        var modules = model.NamedModules().ToList();
        var outputs = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        var handles = new List<HookHandle>();
        var modes = modules.Select(m => m.Module.Training).ToList();
        string? result;
        try
        {
            foreach (var (_, m) in modules)
            {
                handles.Add(m.RegisterForwardHook((mod, _, output) =>
                {
                    outputs[mod] = Format(output);
                    return null;
                }));
            }
            model.Eval();
            using var _ = Autograd.NoGrad();
            result = Format(forward());
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            for (int i = 0; i < modules.Count; i++) modules[i].Module.Training = modes[i];
        }
        var rows = new List<(string Label, string Shape, long Params)>();
        void Visit(Module m, string name, int depth, HashSet<Module> seen)
        {
            if (!seen.Add(m)) return;
            if (depth >= 0)
            {
                long p = m.Own().Where(x => x.IsParameter).Sum(x => (long)x.Tensor.Numel);
                rows.Add((new string(' ', 2 * depth) + name + " (" + m + ")", outputs.GetValueOrDefault(m, ""), p));
            }
            foreach (var (n, c) in m.NamedChildren()) Visit(c, depth < 0 ? n : name + "." + n, depth + 1, seen);
        }
        Visit(model, "", -1, new HashSet<Module>(ReferenceEqualityComparer.Instance));
        int w1 = Math.Max(12, rows.Count == 0 ? 0 : rows.Max(r => r.Label.Length));
        int w2 = Math.Max(14, rows.Count == 0 ? 0 : rows.Max(r => r.Shape.Length));
        var sb = new StringBuilder();
        string Line(char c) => new string(c, w1 + w2 + 16);
        sb.AppendLine(Line('='));
        sb.AppendLine($"{"Layer (type)".PadRight(w1)}  {"Output shape".PadRight(w2)}  {"Param #",12}");
        sb.AppendLine(Line('='));
        foreach (var r in rows)
            sb.AppendLine($"{r.Label.PadRight(w1)}  {r.Shape.PadRight(w2)}  {N(r.Params),12}");
        sb.AppendLine(Line('='));
        long total = model.ParameterCount(), trainable = model.ParameterCount(trainableOnly: true);
        sb.AppendLine($"Total params: {N(total)}");
        sb.AppendLine($"Trainable params: {N(trainable)}");
        sb.AppendLine($"Non-trainable params: {N(total - trainable)}");
        if (!string.IsNullOrEmpty(result)) sb.AppendLine($"Output shape: {result}");
        return sb.ToString();
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    // A tensor as its shape, a tuple (an LSTM's output and state) as the shapes in parentheses, a list in brackets.
    private static string Format(object? output) => output switch
    {
        null => "",
        Tensor t => Shapes.Format(t.Shape),
        ITuple tuple => "(" + string.Join(", ", Enumerable.Range(0, tuple.Length).Select(i => Format(tuple[i]))) + ")",
        IEnumerable<Tensor> list => "[" + string.Join(", ", list.Select(Format)) + "]",
        _ => output.GetType().Name,
    };
}
