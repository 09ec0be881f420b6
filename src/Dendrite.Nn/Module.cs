using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Dendrite.Nn;

/// <summary>A trainable tensor owned by a module: a leaf that requires gradients.</summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps (a detached view of) <paramref name="data"/> as a parameter. When a <see cref="TensorScope"/>
    /// owns the data's memory the values are copied into memory no scope owns, so a model built inside a scope keeps
    /// its weights after the scope ends.</summary>
    public Parameter(Tensor data, bool requiresGrad = true)
        : base(Persistent.Of(data))
    {
        RequiresGrad = requiresGrad;
    }
}

/// <summary>Makes tensors whose storage no <see cref="TensorScope"/> owns, whatever scope is open.</summary>
internal static class Persistent
{
    /// <summary>A detached view of <paramref name="data"/>, or a copy in ordinary GC memory when a scope owns its
    /// storage (a model built inside a training step's scope keeps its weights after the scope ends).</summary>
    public static Tensor Of(Tensor data)
    {
        var view = data.Detach();
        return view.Storage.IsScoped ? TensorScope.Outside(() => view.Clone()) : view;
    }
}

/// <summary>A module with one tensor input and one tensor output, so that <see cref="Sequential"/> can chain it.
/// Call it through <see cref="ModuleExtensions.Call"/> so that forward hooks run.</summary>
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

/// <summary>Marks a field or property that refers to a module or parameter this module does not own (a parent, a
/// layer shared with another model): the walk neither registers it nor rejects it.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class NotAModuleAttribute : Attribute
{
}

/// <summary>Runs before a module's forward; may replace entries of <paramref name="inputs"/> in place.</summary>
public delegate void ForwardPreHook(Module module, object?[] inputs);

/// <summary>Runs after a module's forward; returns a replacement output, or null to keep <paramref name="output"/>.
/// Multi-output modules pass their tuple boxed.</summary>
public delegate object? ForwardHook(Module module, object?[] inputs, object? output);

/// <summary>Removes a hook when disposed (or on <see cref="Remove"/>).</summary>
public sealed class HookHandle : IDisposable
{
    private Action? remove;

    internal HookHandle(Action remove) => this.remove = remove;

    /// <summary>Removes the hook; later calls do nothing.</summary>
    public void Remove()
    {
        remove?.Invoke();
        remove = null;
    }

    /// <inheritdoc/>
    public void Dispose() => Remove();
}

/// <summary>What <see cref="Module.LoadStateDict"/> did not match: model names absent from the state dict and state
/// names the model does not have (after any remapping).</summary>
public sealed record LoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>True when every name matched.</summary>
    public bool IsExact => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;
}

/// <summary>
/// Base of every layer and model. Parameters, buffers and submodules come from two sources, walked in this order:
/// <list type="number">
/// <item>public properties, found by one cached reflection walk in declaration order: <see cref="Parameter"/>
/// properties are parameters, other <see cref="Tensor"/> properties buffers, <see cref="Module"/> properties
/// submodules, lists of modules submodules named by index. Names are PyTorch's: property names in snake_case
/// (<c>Fc1</c> → <c>fc1</c>, <c>WeightIhL0</c> → <c>weight_ih_l0</c>);</item>
/// <item>entries registered under computed names with <see cref="RegisterParameter"/>, <see cref="RegisterBuffer"/>
/// and <see cref="RegisterModule{T}"/>, in registration order (<c>weight_ih_l0_reverse</c>, <c>h.0</c>).</item>
/// </list>
/// A module or parameter held anywhere else (a private field, a non-public property, a captured constructor
/// parameter) and not registered makes the first walk fail with the member's name, unless the member is marked
/// <see cref="NotAModuleAttribute"/>. The same parameter reachable under two names (tied weights) is one
/// parameter for <see cref="Parameters"/>, counts and optimizers; <see cref="StateDict"/> keeps every name.
/// </summary>
public abstract class Module
{
    private static readonly Dictionary<Type, TypeMembers> Members = [];
    private readonly List<Entry> registered = [];
    private List<ForwardPreHook>? preHooks;
    private List<ForwardHook>? hooks;
    private bool verified;

    /// <summary>True in training mode (dropout active, batch statistics used); false in evaluation mode.</summary>
    public bool Training { get; internal set; } = true;

    private enum MemberKind
    {
        Parameter,
        Buffer,
        Module,
        ModuleList,
    }

    private sealed record Member(string Name, PropertyInfo Property, MemberKind Kind);

    private sealed record Held(FieldInfo Field, string Description);

    private sealed record TypeMembers(Member[] Properties, Held[] Fields, HashSet<string> Names);

    private sealed class Entry(string name, MemberKind kind, object? value)
    {
        public string Name { get; } = name;

        public MemberKind Kind { get; } = kind;

        public object? Value { get; set; } = value;
    }

    private static TypeMembers MembersOf(Type t)
    {
        lock (Members)
        {
            if (Members.TryGetValue(t, out var m)) return m;
            var list = new List<Member>();
            var held = new List<Held>();
            var chain = new List<Type>();
            for (var c = t; c is not null && c != typeof(Module); c = c.BaseType) chain.Insert(0, c);
            foreach (var type in chain)
            {
                const BindingFlags declared = BindingFlags.Instance | BindingFlags.DeclaredOnly;
                var walked = new HashSet<string>();
                var props = type.GetProperties(BindingFlags.Public | declared)
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
                    if (kind is null || p.GetCustomAttribute<NotAModuleAttribute>() is not null) continue;
                    walked.Add(p.Name);
                    string name = p.GetCustomAttribute<StateNameAttribute>()?.Name ?? SnakeCase(p.Name);
                    list.Add(new Member(name, p, kind.Value));
                }
                foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | declared))
                {
                    if (!MayHold(f.FieldType) || f.GetCustomAttribute<NotAModuleAttribute>() is not null) continue;
                    string? property = BackedProperty(f.Name);
                    if (property is not null)
                    {
                        var p = type.GetProperty(property, BindingFlags.Public | BindingFlags.NonPublic | declared);
                        if (walked.Contains(property) || p?.GetCustomAttribute<NotAModuleAttribute>() is not null)
                            continue;
                        held.Add(new Held(f, $"property {type.Name}.{property}"));
                    }
                    else if (f.Name.StartsWith('<') && f.Name.EndsWith(">P", StringComparison.Ordinal))
                    {
                        held.Add(new Held(f, $"constructor parameter '{f.Name[1..^2]}' of {type.Name}"));
                    }
                    else
                    {
                        held.Add(new Held(f, $"field {type.Name}.{f.Name}"));
                    }
                }
            }
            var names = new HashSet<string>(list.Select(x => x.Name));
            return Members[t] = new TypeMembers([.. list], [.. held], names);
        }
    }

    private static string? BackedProperty(string field) =>
        field.StartsWith('<') && field.EndsWith(">k__BackingField", StringComparison.Ordinal)
            ? field[1..field.IndexOf('>', StringComparison.Ordinal)]
            : null;

    // Field types whose values can be (or contain) modules or parameters; the values themselves are checked.
    private static bool MayHold(Type t)
    {
        if (t == typeof(string) || t.IsPrimitive || t.IsEnum) return false;
        if (typeof(Module).IsAssignableFrom(t) || typeof(Tensor).IsAssignableFrom(t) || t == typeof(ILayer) ||
            t == typeof(object))
            return true;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
            return MayHold(t.GetGenericArguments()[1]);
        if (t.IsArray) return MayHold(t.GetElementType()!);
        return typeof(IEnumerable).IsAssignableFrom(t) && t.GetInterfaces().Append(t)
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            .Any(i => MayHold(i.GetGenericArguments()[0]));
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

    // ---- registration ----

    /// <summary>Registers <paramref name="parameter"/> under <paramref name="name"/> (a computed name such as
    /// <c>weight_hh_l1</c> that a property cannot express). Returns it.</summary>
    protected Parameter RegisterParameter(string name, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        Add(nameof(RegisterParameter), name, MemberKind.Parameter, parameter);
        return parameter;
    }

    /// <summary>Registers a buffer (state saved in the state dict but not trained, such as running statistics).
    /// Returns the registered tensor: a copy when a <see cref="TensorScope"/> is open, so that it outlives it.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        var kept = Persistent.Of(buffer);
        Add(nameof(RegisterBuffer), name, MemberKind.Buffer, kept);
        return kept;
    }

    /// <summary>Registers a submodule under <paramref name="name"/> (null reserves the name, as PyTorch's None).
    /// Returns it.</summary>
    protected T? RegisterModule<T>(string name, T? module)
        where T : Module
    {
        if (ReferenceEquals(module, this))
            throw new ArgumentException($"{GetType().Name}.RegisterModule: a module cannot be its own child '{name}'");
        Add(nameof(RegisterModule), name, MemberKind.Module, module);
        return module;
    }

    /// <summary>Puts <paramref name="module"/> in place of the submodule registered as <paramref name="name"/>,
    /// keeping its position (containers use it to replace a head).</summary>
    protected void ReplaceModule(string name, Module? module)
    {
        var e = registered.FirstOrDefault(x => x.Name == name && x.Kind == MemberKind.Module)
            ?? throw new ArgumentException($"{GetType().Name}: no registered submodule '{name}' to replace; " +
                $"registered: [{string.Join(", ", registered.Where(x => x.Kind == MemberKind.Module)
                    .Select(x => x.Name))}]");
        if (ReferenceEquals(module, this))
            throw new ArgumentException($"{GetType().Name}: a module cannot be its own child '{name}'");
        e.Value = module;
        verified = false;
    }

    private void Add(string op, string name, MemberKind kind, object? value)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal) ||
            name.Any(char.IsWhiteSpace))
            throw new ArgumentException(
                $"{GetType().Name}.{op}: name '{name}' is invalid: it must be non-empty, without '.' or spaces");
        if (MembersOf(GetType()).Names.Contains(name))
            throw new ArgumentException(
                $"{GetType().Name}.{op}: '{name}' already names a property of {GetType().Name}");
        var clash = registered.FirstOrDefault(x => x.Name == name);
        if (clash is not null)
            throw new ArgumentException(
                $"{GetType().Name}.{op}: '{name}' is already registered as a " +
                $"{clash.Kind.ToString().ToLowerInvariant()}");
        registered.Add(new Entry(name, kind, value));
        verified = false;
    }

    /// <summary>A buffer's tensor in memory no <see cref="TensorScope"/> owns: wrap the initial value of a buffer
    /// property with it (<c>public Tensor RunningMean { get; } = KeepBuffer(Tensor.Zeros(c));</c>) so that a model
    /// built inside a scope keeps it.</summary>
    protected static Tensor KeepBuffer(Tensor buffer) => Persistent.Of(buffer);

    // ---- walking ----

    private IEnumerable<(string Name, Module Module)> RawChildren()
    {
        var members = MembersOf(GetType()).Properties;
        foreach (var m in members)
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
        foreach (var e in registered)
        {
            if (e.Kind == MemberKind.Module && e.Value is Module child) yield return (e.Name, child);
        }
    }

    private IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> RawOwn()
    {
        foreach (var m in MembersOf(GetType()).Properties)
        {
            if (m.Kind is MemberKind.Parameter or MemberKind.Buffer && m.Property.GetValue(this) is Tensor t)
                yield return (m.Name, t, m.Kind == MemberKind.Parameter);
        }
        foreach (var e in registered)
        {
            if (e.Kind is MemberKind.Parameter or MemberKind.Buffer && e.Value is Tensor t)
                yield return (e.Name, t, e.Kind == MemberKind.Parameter);
        }
    }

    // Every module or parameter held by a field must be one this module owns (itself, a descendant, or a parameter
    // of either): otherwise it would be skipped silently, so the first walk fails and says how to fix it.
    private void Verify()
    {
        if (verified) return;
        var fields = MembersOf(GetType()).Fields;
        if (fields.Length > 0)
        {
            var owned = new HashSet<object>(ReferenceEqualityComparer.Instance);
            var stack = new Stack<Module>();
            stack.Push(this);
            while (stack.Count > 0)
            {
                var m = stack.Pop();
                if (!owned.Add(m)) continue;
                foreach (var (_, t, _) in m.RawOwn()) owned.Add(t);
                foreach (var (_, c) in m.RawChildren()) stack.Push(c);
            }
            foreach (var h in fields)
            {
                foreach (var v in Flatten(h.Field.GetValue(this)))
                {
                    if (v is not (Module or Parameter) || owned.Contains(v)) continue;
                    string what = v is Module ? "module" : "parameter";
                    throw new InvalidOperationException(
                        $"{GetType().Name}: {h.Description} holds a {what} ({Describe(v)}) that is not registered, " +
                        $"so it would be missing from Parameters() and the state dict. Expose it as a public " +
                        $"get-only property, register it in the constructor with " +
                        $"{(v is Module ? "RegisterModule" : "RegisterParameter")}(name, value), or mark the member " +
                        $"[NotAModule] if this module does not own it");
                }
            }
        }
        verified = true;
    }

    private static string Describe(object v) =>
        v is Tensor t ? $"{Shapes.Format(t.Shape)}" : v.GetType().Name;

    private static IEnumerable<object> Flatten(object? value)
    {
        switch (value)
        {
            case null:
                yield break;
            case Module or Tensor:
                yield return value;
                yield break;
            case string:
                yield break;
            case IEnumerable items:
                foreach (var item in items)
                {
                    var inner = item;
                    var type = item?.GetType();
                    if (type is { IsGenericType: true } && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
                        inner = type.GetProperty("Value")!.GetValue(item);
                    foreach (var x in Flatten(inner)) yield return x;
                }
                yield break;
            default:
                yield break;
        }
    }

    /// <summary>Direct submodules with their names (list items are named by index).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        Verify();
        return RawChildren();
    }

    /// <summary>This module and every descendant, with dotted names ("" for this one). A module reachable under
    /// several names is listed once, under the first, unless <paramref name="removeDuplicate"/> is false.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "", bool removeDuplicate = true) =>
        Walk(prefix, removeDuplicate ? new HashSet<Module>(ReferenceEqualityComparer.Instance) : null);

    private IEnumerable<(string Name, Module Module)> Walk(string prefix, HashSet<Module>? memo)
    {
        if (memo is not null && !memo.Add(this)) yield break;
        yield return (prefix, this);
        foreach (var (n, c) in NamedChildren())
        {
            foreach (var x in c.Walk(Join(prefix, n), memo)) yield return x;
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    internal IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> Own()
    {
        Verify();
        return RawOwn();
    }

    /// <summary>Every parameter with its dotted name. As PyTorch's <c>named_parameters</c>, a parameter reachable
    /// under several names (tied weights) comes once, under the first name met, unless
    /// <paramref name="removeDuplicate"/> is false.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(bool removeDuplicate = true)
    {
        var seen = removeDuplicate ? new HashSet<Tensor>(ReferenceEqualityComparer.Instance) : null;
        foreach (var (prefix, mod) in NamedModules(removeDuplicate: removeDuplicate))
        {
            foreach (var (n, t, isParam) in mod.Own())
            {
                if (isParam && (seen is null || seen.Add(t))) yield return (Join(prefix, n), (Parameter)t);
            }
        }
    }

    /// <summary>Every distinct parameter (a tied parameter once).</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer (non-trainable state such as running statistics) with its dotted name, each once.
    /// </summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, mod) in NamedModules())
        {
            foreach (var (n, t, isParam) in mod.Own())
            {
                if (!isParam && seen.Add(t)) yield return (Join(prefix, n), t);
            }
        }
    }

    /// <summary>Number of parameter elements, each distinct parameter once (trainable only when
    /// <paramref name="trainableOnly"/>).</summary>
    public long ParameterCount(bool trainableOnly = false) =>
        Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => (long)p.Numel);

    /// <summary>Parameters and buffers by dotted name, in PyTorch's order (each module's own, then children).
    /// Every name is kept: a tied parameter appears under each of its names, as in PyTorch.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (prefix, mod) in NamedModules(removeDuplicate: false))
        {
            foreach (var (n, t, _) in mod.Own()) d[Join(prefix, n)] = t;
        }
        return d;
    }

    /// <summary>Copies values into the parameters and buffers by name. <paramref name="remap"/>, when given, maps
    /// each incoming (name, tensor) first: rename a key, transpose a weight (GPT-2's Conv1D <c>[in, out]</c> into a
    /// Linear's <c>[out, in]</c>). With <paramref name="strict"/>, missing and unexpected names are errors; shapes
    /// must always match. Everything is checked before the first copy, so a failure leaves the module as it was.
    /// Returns the names that did not match (empty lists after a strict load).</summary>
    public LoadResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true,
        Func<string, Tensor, (string Name, Tensor Tensor)>? remap = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var incoming = state;
        if (remap is not null)
        {
            var mapped = new Dictionary<string, Tensor>();
            var from = new Dictionary<string, string>();
            foreach (var (key, value) in state)
            {
                var (name, t) = remap(key, value);
                if (from.TryGetValue(name, out var first))
                    throw new ArgumentException(
                        $"LoadStateDict: remap sends both '{first}' and '{key}' to '{name}'");
                from[name] = key;
                mapped[name] = t;
            }
            incoming = mapped;
        }
        var own = StateDict();
        var missing = own.Keys.Where(k => !incoming.ContainsKey(k)).ToList();
        var unexpected = incoming.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException(
                $"LoadStateDict: missing keys [{string.Join(", ", missing)}], " +
                $"unexpected keys [{string.Join(", ", unexpected)}]");
        foreach (var (name, t) in own)
        {
            if (incoming.TryGetValue(name, out var src) && !Shapes.Equal(src.Shape, t.Shape))
                throw new ArgumentException(
                    $"LoadStateDict: '{name}' has shape {Shapes.Format(t.Shape)} in the model, " +
                    $"{Shapes.Format(src.Shape)} in the state dict");
        }
        using var _ = Autograd.NoGrad();
        foreach (var (name, t) in own)
        {
            if (incoming.TryGetValue(name, out var src)) t.CopyFrom(src);
        }
        return new LoadResult(missing, unexpected);
    }

    /// <summary>Sets the gradients of every parameter to zero, in place (buffers are reused).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad?.Fill(0);
    }

    // ---- the call path ----

    /// <summary>True when a forward hook or pre-hook is registered on this module.</summary>
    public bool HasForwardHooks => preHooks is { Count: > 0 } || hooks is { Count: > 0 };

    /// <summary>Adds a hook that runs before each forward call made through <see cref="Invoke{TOut}"/> (which
    /// <see cref="ModuleExtensions.Call"/> and the containers use).</summary>
    public HookHandle RegisterForwardPreHook(ForwardPreHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        (preHooks ??= []).Add(hook);
        return new HookHandle(() => preHooks.Remove(hook));
    }

    /// <summary>Adds a hook that runs after each forward call made through <see cref="Invoke{TOut}"/>.</summary>
    public HookHandle RegisterForwardHook(ForwardHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        (hooks ??= []).Add(hook);
        return new HookHandle(() => hooks.Remove(hook));
    }

    /// <summary>The one call path: pre-hooks (which may replace inputs), <paramref name="forward"/> on the inputs,
    /// then hooks (which may replace the output). A module whose forward takes other arguments than one tensor
    /// exposes a <c>Call</c> of its own that passes them here as an array, e.g.
    /// <c>Invoke([x, state], a =&gt; Forward((Tensor)a[0]!, (State?)a[1]))</c>.</summary>
    protected internal TOut Invoke<TOut>(object?[] inputs, Func<object?[], TOut> forward)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(forward);
        if (preHooks is not null)
        {
            foreach (var h in preHooks.ToArray()) h(this, inputs);
        }
        var output = forward(inputs);
        if (hooks is not null)
        {
            foreach (var h in hooks.ToArray())
            {
                var replaced = h(this, inputs, output);
                if (replaced is null) continue;
                output = replaced is TOut o ? o : throw new InvalidOperationException(
                    $"{GetType().Name}: a forward hook returned {replaced.GetType().Name}, " +
                    $"the module returns {typeof(TOut).Name}");
            }
        }
        return output;
    }

    /// <summary>The module's type name and its direct configuration, for summaries.</summary>
    public override string ToString() => GetType().Name;
}

/// <summary>Fluent mode switches that keep the caller's type (<c>var m = new Mlp(…).Eval();</c> is still an Mlp),
/// and the single-tensor call path.</summary>
public static class ModuleExtensions
{
    /// <summary>Runs <paramref name="layer"/> on <paramref name="x"/> through its forward hooks (pre-hooks, Forward,
    /// hooks). Containers call their children this way, so hooks fire inside them.</summary>
    public static Tensor Call(this ILayer layer, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer is Module m && m.HasForwardHooks ? Hooked(m, layer, x) : layer.Forward(x);
    }

    // Apart from Call, so that the closure is only allocated when hooks run.
    private static Tensor Hooked(Module m, ILayer layer, Tensor x) =>
        m.Invoke([x], a => layer.Forward((Tensor)a[0]!));

    /// <summary>Switches the module and all descendants to training (true) or evaluation (false) mode.</summary>
    public static T Train<T>(this T module, bool training = true)
        where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (_, m) in module.NamedModules()) m.Training = training;
        return module;
    }

    /// <summary>Switches to evaluation mode.</summary>
    public static T Eval<T>(this T module)
        where T : Module => module.Train(false);

    /// <summary>Stops gradients for every parameter (transfer learning: a frozen base).</summary>
    public static T Freeze<T>(this T module)
        where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var p in module.Parameters()) p.RequiresGrad = false;
        return module;
    }

    /// <summary>Lets every parameter receive gradients again.</summary>
    public static T Unfreeze<T>(this T module)
        where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var p in module.Parameters()) p.RequiresGrad = true;
        return module;
    }
}
