using System.Collections;
using System.Globalization;

namespace Dendrite.Nn;

// Containers: modules whose children are named by position or by a given name, dotted into state-dict keys
// (torchvision's features.denseblock1.denselayer1.conv1.weight, Hugging Face GPT-2's h.0.attn.c_attn.weight).
// Children can be replaced in place (a new classifier head keeps its position and name).

/// <summary>Runs layers one after another through their call path (so hooks fire inside). Children are named
/// 0, 1, 2, … or by the names given as (name, layer) pairs.</summary>
public sealed class Sequential : Module, ILayer
{
    private readonly List<string> names = [];
    private readonly List<ILayer> layers = [];

    /// <summary>An empty stack (layers are added with <see cref="Append(ILayer)"/>).</summary>
    public Sequential()
    {
    }

    /// <summary>Layers named by position.</summary>
    public Sequential(params ILayer[] layers)
    {
        foreach (var l in layers) Append(l);
    }

    /// <summary>Layers with names, as PyTorch's <c>nn.Sequential(OrderedDict(…))</c>.</summary>
    public Sequential(params (string Name, ILayer Layer)[] layers)
    {
        foreach (var (n, l) in layers) Append(n, l);
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<ILayer> Layers => layers;

    /// <summary>The names of the layers in order.</summary>
    public IReadOnlyList<string> Names => names;

    /// <summary>Number of layers.</summary>
    public int Count => layers.Count;

    /// <summary>The layer at <paramref name="index"/>; setting it replaces the layer (and its parameters) in place.
    /// </summary>
    public ILayer this[int index]
    {
        get => layers[Index(index)];
        set => Replace(Index(index), value);
    }

    /// <summary>The layer called <paramref name="name"/>; setting it replaces the layer in place.</summary>
    public ILayer this[string name]
    {
        get => layers[Find(name)];
        set => Replace(Find(name), value);
    }

    /// <summary>Adds a layer named by its position.</summary>
    public Sequential Append(ILayer layer) => Append(layers.Count.ToString(CultureInfo.InvariantCulture), layer);

    /// <summary>Adds a layer under <paramref name="name"/>.</summary>
    public Sequential Append(string name, ILayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        RegisterModule(name, layer as Module); // validates the name; a layer that is not a module reserves it
        names.Add(name);
        layers.Add(layer);
        return this;
    }

    /// <summary>Runs the layers in order. In evaluation mode a convolution followed by a batch norm (and a ReLU or
    /// ReLU6 without hooks) runs as one folded convolution when <see cref="Conv2d.CanFold"/> allows.</summary>
    public Tensor Forward(Tensor x)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (!Training && layers[i] is Conv2d conv && i + 1 < layers.Count && layers[i + 1] is BatchNorm2d norm &&
                conv.CanFold(norm, x))
            {
                var activation = i + 2 < layers.Count ? layers[i + 2] switch
                {
                    Relu { HasForwardHooks: false } => ConvBnActivation.Relu,
                    Relu6 { HasForwardHooks: false } => ConvBnActivation.Relu6,
                    _ => ConvBnActivation.None,
                } : ConvBnActivation.None;
                x = conv.ForwardWithBatchNorm(norm, x, activation);
                i += activation == ConvBnActivation.None ? 1 : 2;
                continue;
            }
            x = layers[i].Call(x);
        }
        return x;
    }

    private void Replace(int i, ILayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ReplaceModule(names[i], layer as Module);
        layers[i] = layer;
    }

    private int Index(int index) => index >= 0 && index < layers.Count
        ? index
        : throw new ArgumentOutOfRangeException(
            nameof(index), $"Sequential: index {index} is outside 0..{layers.Count - 1}");

    private int Find(string name)
    {
        int i = names.IndexOf(name);
        return i >= 0 ? i : throw new KeyNotFoundException(
            $"Sequential: no layer named '{name}'; names: [{string.Join(", ", names)}]");
    }
}

/// <summary>A list of submodules named by index (for models that loop over blocks: GPT-2's <c>h.0</c>, <c>h.1</c>).
/// Items can be replaced and appended.</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T>
    where T : Module
{
    private readonly List<T> items = [];

    /// <summary>An empty list.</summary>
    public ModuleList()
    {
    }

    /// <summary>A list of <paramref name="items"/> in order.</summary>
    public ModuleList(IEnumerable<T> items)
    {
        foreach (var m in items) Add(m);
    }

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module at <paramref name="index"/>; setting it replaces the module in place.</summary>
    public T this[int index]
    {
        get => items[Check(index)];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ReplaceModule(Check(index).ToString(CultureInfo.InvariantCulture), value);
            items[index] = value;
        }
    }

    /// <summary>Appends a module, named by its index.</summary>
    public void Add(T module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(items.Count.ToString(CultureInfo.InvariantCulture), module);
        items.Add(module);
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int Check(int index) => index >= 0 && index < items.Count
        ? index
        : throw new ArgumentOutOfRangeException(
            nameof(index), $"ModuleList: index {index} is outside 0..{items.Count - 1}");
}

/// <summary>Submodules by name, in insertion order (PyTorch's <c>nn.ModuleDict</c>). Setting a new name adds a
/// module; setting an existing one replaces it in place.</summary>
public sealed class ModuleDict<T> : Module, IEnumerable<KeyValuePair<string, T>>
    where T : Module
{
    private readonly List<string> keys = [];
    private readonly Dictionary<string, T> items = [];

    /// <summary>An empty dictionary.</summary>
    public ModuleDict()
    {
    }

    /// <summary>The given modules, in order.</summary>
    public ModuleDict(IEnumerable<(string Name, T Module)> items)
    {
        foreach (var (n, m) in items) this[n] = m;
    }

    /// <summary>Number of modules.</summary>
    public int Count => keys.Count;

    /// <summary>The names in insertion order.</summary>
    public IReadOnlyList<string> Keys => keys;

    /// <summary>The module called <paramref name="name"/>.</summary>
    public T this[string name]
    {
        get => items.TryGetValue(name, out var m) ? m : throw new KeyNotFoundException(
            $"ModuleDict: no module named '{name}'; names: [{string.Join(", ", keys)}]");
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (items.ContainsKey(name))
            {
                ReplaceModule(name, value);
            }
            else
            {
                RegisterModule(name, value);
                keys.Add(name);
            }
            items[name] = value;
        }
    }

    /// <summary>True when a module is called <paramref name="name"/>.</summary>
    public bool ContainsKey(string name) => items.ContainsKey(name);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, T>> GetEnumerator()
    {
        foreach (var k in keys) yield return new(k, items[k]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
