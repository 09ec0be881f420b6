using System.Reflection;
using Dendrite.Nn;
using Module = Dendrite.Nn.Module;

namespace Dendrite.Tests;

/// <summary>
/// Helpers for layer tests: a float64 copy of a module (so finite differences are accurate) and a finite-difference
/// check of a module's parameter and input gradients through its own <c>Forward</c>.
/// </summary>
public static class LayerHarness
{
    /// <summary>Replaces every parameter and floating buffer of <paramref name="module"/> (and its descendants) by a
    /// float64 copy, writing the auto-property backing fields: parameters are get-only by design.</summary>
    public static T ToFloat64<T>(T module) where T : Module
    {
        foreach (var (_, m) in module.NamedModules())
        {
            for (var type = m.GetType(); type is not null && type != typeof(Module); type = type.BaseType)
            {
                var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
                foreach (var p in props.Where(p => typeof(Tensor).IsAssignableFrom(p.PropertyType)))
                {
                    if (p.GetValue(m) is not Tensor t || !t.DType.IsFloating()) continue;
                    const BindingFlags flags = BindingFlags.NonPublic | BindingFlags.Instance;
                    var field = type.GetField($"<{p.Name}>k__BackingField", flags)
                        ?? throw new InvalidOperationException($"{type.Name}.{p.Name} has no backing field");
                    var copy = t.Detach().To(DType.Float64).Contiguous();
                    field.SetValue(m, t is Parameter param ? new Parameter(copy, param.RequiresGrad) : copy);
                }
            }
        }
        return module;
    }

    /// <summary>Central differences of Σ forward()·r for every element of every parameter, against the gradient
    /// Backward puts in each parameter (torch's gradcheck tolerances).</summary>
    public static void AssertParameterGradients(Module module, Func<Tensor> forward, double eps = 1e-6,
        double atol = 1e-5, double rtol = 1e-3)
    {
        var y = forward();
        var r = Tensor.Randn(y.Shape, new Generator(7), dtype: DType.Float64);
        module.ZeroGrad();
        (y * r).Sum().Backward();
        foreach (var (name, p) in module.NamedParameters())
        {
            Assert.NotNull(p.Grad);
            double[] analytic = p.Grad!.ToArray<double>();
            double[] values = p.ToArray<double>();
            for (int e = 0; e < values.Length; e++)
            {
                double orig = values[e];
                values[e] = orig + eps;
                double plus = Evaluate(p, values, forward, r);
                values[e] = orig - eps;
                double minus = Evaluate(p, values, forward, r);
                values[e] = orig;
                Set(p, values);
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(analytic[e] - numeric) <= atol + rtol * Math.Abs(numeric),
                    $"{name}[{e}]: analytic {analytic[e]:g8}, numeric {numeric:g8}");
            }
        }
    }

    private static void Set(Parameter p, double[] values)
    {
        using var _ = Autograd.NoGrad();
        p.CopyFrom(Tensor.From(values, p.Shape.ToArray()));
    }

    private static double Evaluate(Parameter p, double[] values, Func<Tensor> forward, Tensor r)
    {
        Set(p, values);
        using var _ = Autograd.NoGrad();
        return (forward() * r).Sum().Item();
    }
}
