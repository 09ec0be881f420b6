using System.Globalization;
using System.Text;

namespace Dendrite.Nn;

/// <summary>A Keras-style model summary: one row per layer with its output shape and parameter count, then totals.
/// Output shapes are recorded while a sample batch runs through every <see cref="Sequential"/> in the model.</summary>
public static class Summary
{
    [ThreadStatic] private static Dictionary<Module, int[]>? trace;

    internal static void Record(Module layer, Tensor output)
    {
        if (trace is not null) trace[layer] = output.Shape.ToArray();
    }

    /// <summary>The summary table of <paramref name="model"/> run on zeros of <paramref name="inputShape"/>
    /// (batch dimension included).</summary>
    public static string Of(Module model, int[] inputShape, DType inputType = DType.Float32)
    {
        var shapes = new Dictionary<Module, int[]>();
        if (model is ILayer layer)
        {
            trace = shapes;
            try
            {
                using var _ = Autograd.NoGrad();
                bool was = model.Training;
                model.Eval();
                var y = layer.Forward(Tensor.Zeros(inputType, inputShape));
                shapes[model] = y.Shape.ToArray();
                model.Train(was);
            }
            finally
            {
                trace = null;
            }
        }
        var rows = new List<(string Name, string Type, string Shape, long Params)>();
        foreach (var (name, m) in model.NamedModules())
        {
            if (name.Length == 0 || m.NamedChildren().Any()) continue;
            long p = m.NamedParameters().Where(x => !x.Name.Contains('.', StringComparison.Ordinal)).Sum(x => (long)x.Parameter.Numel);
            string shape = shapes.TryGetValue(m, out var s) ? Shapes.Format(s) : "";
            rows.Add((name, m.ToString(), shape, p));
        }
        int w1 = Math.Max(12, rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length + r.Type.Length + 3));
        int w2 = Math.Max(14, rows.Count == 0 ? 0 : rows.Max(r => r.Shape.Length));
        var sb = new StringBuilder();
        string Line(char c) => new string(c, w1 + w2 + 16);
        sb.AppendLine(Line('='));
        sb.AppendLine($"{"Layer (type)".PadRight(w1)}  {"Output shape".PadRight(w2)}  {"Param #",12}");
        sb.AppendLine(Line('='));
        foreach (var r in rows)
            sb.AppendLine($"{(r.Name + " (" + r.Type + ")").PadRight(w1)}  {r.Shape.PadRight(w2)}  {r.Params.ToString("N0", CultureInfo.InvariantCulture),12}");
        sb.AppendLine(Line('='));
        long total = model.ParameterCount(), trainable = model.ParameterCount(trainableOnly: true);
        sb.AppendLine($"Total params: {total.ToString("N0", CultureInfo.InvariantCulture)}");
        sb.AppendLine($"Trainable params: {trainable.ToString("N0", CultureInfo.InvariantCulture)}");
        sb.AppendLine($"Non-trainable params: {(total - trainable).ToString("N0", CultureInfo.InvariantCulture)}");
        if (shapes.TryGetValue(model, out var o)) sb.AppendLine($"Output shape: {Shapes.Format(o)}");
        return sb.ToString();
    }
}
