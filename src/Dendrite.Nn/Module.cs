using System.Reflection;
using System.Text;

namespace Dendrite.Nn;

/// <summary>A trainable tensor owned by a module: a leaf that requires gradients.</summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps (a detached view of) <paramref name="data"/> as a parameter.</summary>
    public Parameter(Tensor data, bool requiresGrad = true)
        : base(data.Detach())
    {
        RequiresGrad = requiresGrad;
    }
}

/// <summary>A module with one tensor input and one tensor output, so that <see cref="Sequential"/> can chain it.</summary>
public interface ILayer
{
    /// <summary>Computes the layer's output.</summary>
    Tensor Forward(Tensor x);
}

/// <summary>Names a parameter, buffer or submodule differently from its property name in the state dict.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class StateNameAttribute(string name) : Attribute
{
    /// <summary>The name used in state dicts.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Base of every layer and model. Parameters (<see cref="Parameter"/> properties), buffers (other
/// <see cref="Tensor"/> properties, such as running statistics) and submodules (<see cref="Module"/> properties
/// and lists of modules) are found by one cached reflection walk over public properties in declaration order; no
/// registration calls. State-dict names are PyTorch's: property names in snake_case joined by dots
/// (<c>Fc1.Weight</c> → <c>fc1.weight</c>, <c>WeightIhL0</c> → <c>weight_ih_l0</c>, list items by index).
/// </summary>
public abstract class Module
{
    private static readonly Dictionary<Type, Member[]> Members = [];

    /// <summary>True in training mode (dropout active, batch statistics used); false in evaluation mode.</summary>
    public bool Training { get; private set; } = true;

    private sealed record Member(string Name, PropertyInfo Property, MemberKind Kind);

    private enum MemberKind
    {
        Parameter,
        Buffer,
        Module,
        ModuleList,
    }

    private static Member[] MembersOf(Type t)
    {
        lock (Members)
        {
            if (Members.TryGetValue(t, out var m)) return m;
            var list = new List<Member>();
            var chain = new List<Type>();
            for (var c = t; c is not null && c != typeof(Module); c = c.BaseType) chain.Insert(0, c);
            foreach (var type in chain)
            {
                var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                    .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead)
                    .OrderBy(p => p.MetadataToken);
                foreach (var p in props)
                {
                    MemberKind? kind = p.PropertyType switch
                    {
                        var pt when typeof(Parameter).IsAssignableFrom(pt) => MemberKind.Parameter,
                        var pt when pt == typeof(Tensor) => MemberKind.Buffer,
                        var pt when typeof(Module).IsAssignableFrom(pt) => MemberKind.Module,
                        var pt when typeof(IEnumerable<Module>).IsAssignableFrom(pt) => MemberKind.ModuleList,
                        _ => null,
                    };
                    if (kind is null) continue;
                    string name = p.GetCustomAttribute<StateNameAttribute>()?.Name ?? SnakeCase(p.Name);
                    list.Add(new Member(name, p, kind.Value));
                }
            }
            return Members[t] = [.. list];
        }
    }

    /// <summary>PascalCase → snake_case: <c>RunningMean</c> → <c>running_mean</c>, <c>Fc1</c> → <c>fc1</c>.</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) ||
                (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>Direct submodules with their names (list items are named by index).</summary>
    public virtual IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        foreach (var m in MembersOf(GetType()))
        {
            if (m.Kind == MemberKind.Module && m.Property.GetValue(this) is Module child)
            {
                yield return (m.Name, child);
            }
            else if (m.Kind == MemberKind.ModuleList && m.Property.GetValue(this) is IEnumerable<Module> items)
            {
                int i = 0;
                foreach (var item in items) yield return ($"{m.Name}.{i++}", item);
            }
        }
    }

    /// <summary>This module and every descendant, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (n, c) in NamedChildren())
        {
            foreach (var x in c.NamedModules(Join(prefix, n))) yield return x;
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> Own()
    {
        foreach (var m in MembersOf(GetType()))
        {
            if (m.Kind is MemberKind.Parameter or MemberKind.Buffer && m.Property.GetValue(this) is Tensor t)
                yield return (m.Name, t, m.Kind == MemberKind.Parameter);
        }
    }

    /// <summary>Every parameter with its dotted name.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (prefix, mod) in NamedModules())
        {
            foreach (var (n, t, isParam) in mod.Own())
            {
                if (isParam) yield return (Join(prefix, n), (Parameter)t);
            }
        }
    }

    /// <summary>Every parameter.</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer (non-trainable state such as running statistics) with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var (prefix, mod) in NamedModules())
        {
            foreach (var (n, t, isParam) in mod.Own())
            {
                if (!isParam) yield return (Join(prefix, n), t);
            }
        }
    }

    /// <summary>Number of parameter elements (trainable only when <paramref name="trainableOnly"/>).</summary>
    public long ParameterCount(bool trainableOnly = false) =>
        Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => (long)p.Numel);

    /// <summary>Parameters and buffers by dotted name, in PyTorch's order (each module's own, then children).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (prefix, mod) in NamedModules())
        {
            foreach (var (n, t, _) in mod.Own()) d[Join(prefix, n)] = t;
        }
        return d;
    }

    /// <summary>Copies values into the parameters and buffers by name. With <paramref name="strict"/>, missing and
    /// unexpected names are errors; shapes must always match.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        if (strict)
        {
            var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new ArgumentException(
                    $"LoadStateDict: missing keys [{string.Join(", ", missing)}], unexpected keys [{string.Join(", ", unexpected)}]");
        }
        // Every shape is checked before the first copy, so a bad state dict leaves the module as it was.
        foreach (var (name, t) in own)
        {
            if (state.TryGetValue(name, out var src) && !Shapes.Equal(src.Shape, t.Shape))
                throw new ArgumentException(
                    $"LoadStateDict: '{name}' has shape {Shapes.Format(t.Shape)} in the model, {Shapes.Format(src.Shape)} in the state dict");
        }
        using var _ = Autograd.NoGrad();
        foreach (var (name, t) in own)
        {
            if (state.TryGetValue(name, out var src)) t.CopyFrom(src);
        }
    }

    /// <summary>Switches this module and all descendants to training (true) or evaluation (false) mode.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = training;
        return this;
    }

    /// <summary>Switches to evaluation mode.</summary>
    public Module Eval() => Train(false);

    /// <summary>Stops gradients for every parameter (transfer learning: a frozen base).</summary>
    public Module Freeze()
    {
        foreach (var p in Parameters()) p.RequiresGrad = false;
        return this;
    }

    /// <summary>Lets every parameter receive gradients again.</summary>
    public Module Unfreeze()
    {
        foreach (var p in Parameters()) p.RequiresGrad = true;
        return this;
    }

    /// <summary>Sets the gradients of every parameter to zero, in place (buffers are reused).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad?.Fill(0);
    }

    /// <summary>The module's type name and its direct configuration, for summaries.</summary>
    public override string ToString() => GetType().Name;
}

/// <summary>Runs layers one after another; children are named 0, 1, 2, ….</summary>
public sealed class Sequential(params ILayer[] layers) : Module, ILayer
{
    /// <summary>The layers in order.</summary>
    public IReadOnlyList<ILayer> Layers { get; } = layers;

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        for (int i = 0; i < Layers.Count; i++)
        {
            if (Layers[i] is Module m) yield return (i.ToString(System.Globalization.CultureInfo.InvariantCulture), m);
        }
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        foreach (var l in Layers)
        {
            x = l.Forward(x);
            if (l is Module m) Summary.Record(m, x);
        }
        return x;
    }
}

/// <summary>A list of submodules named by index (for models that loop over blocks).</summary>
public sealed class ModuleList<T>(IEnumerable<T> items) : Module where T : Module
{
    private readonly List<T> items = [.. items];

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module at <paramref name="index"/>.</summary>
    public T this[int index] => items[index];

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        for (int i = 0; i < items.Count; i++) yield return (i.ToString(System.Globalization.CultureInfo.InvariantCulture), items[i]);
    }
}
