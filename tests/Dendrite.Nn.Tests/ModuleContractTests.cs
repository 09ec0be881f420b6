using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Module = Dendrite.Nn.Module;

namespace Dendrite.Tests;

/// <summary>The module contract: tied parameters, computed and container names, load-time remapping, replaceable
/// heads, members that would be skipped, TensorScope safety, the call path with hooks, Summary, fluent modes.</summary>
public class ModuleContractTests
{
    // ---- tied parameters ----

    /// <summary>A language model whose output head reuses the token embedding (GPT's weight tying).</summary>
    private sealed class TiedLm : Module, ILayer
    {
        public TiedLm(int vocab, int dim)
        {
            Wte = new Embedding(vocab, dim);
            LmHead = new TiedHead(Wte.Weight);
        }

        public Embedding Wte { get; }

        public TiedHead LmHead { get; }

        public Tensor Forward(Tensor ids) => LmHead.Call(Wte.Call(ids));
    }

    /// <summary>logits = x·Wᵀ with W registered under "weight" and kept in a private field.</summary>
    private sealed class TiedHead : Module, ILayer
    {
        private readonly Parameter weight;

        public TiedHead(Parameter weight) => this.weight = RegisterParameter("weight", weight);

        public Tensor Forward(Tensor x) => x.MatMul(weight.Transpose(0, 1));
    }

    [Fact]
    public void Tied_OneParameterInListsAndCounts_EveryNameInStateDict()
    {
        var lm = new TiedLm(5, 3);
        Assert.Single(lm.Parameters());
        Assert.Equal(15, lm.ParameterCount());
        Assert.Equal(["wte.weight"], lm.NamedParameters().Select(p => p.Name));
        Assert.Equal(["wte.weight", "lm_head.weight"], lm.NamedParameters(removeDuplicate: false).Select(p => p.Name));
        var state = lm.StateDict();
        Assert.Equal(["wte.weight", "lm_head.weight"], state.Keys);
        Assert.Same(state["wte.weight"], state["lm_head.weight"]);
        lm.LoadStateDict(state); // both names load into the one tensor
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tied_SgdStepsTheSharedWeightOnceWithBothGradients(bool duplicatesInList)
    {
        const int v = 5, d = 3;
        const float lr = 0.1f;
        var lm = new TiedLm(v, d);
        long[] ids = [1, 3, 1];
        var r = Tensor.Randn([ids.Length, v], new Generator(3));
        float[] w = lm.Wte.Weight.ToFloatArray(), rv = r.ToFloatArray();
        // L = Σ R ⊙ (E[ids]·Wᵀ) with E = W:
        // ∂L/∂W = Rᵀ·W[ids] (head) + the rows of R·W added into rows ids (embedding).
        var grad = new float[v * d];
        for (int n = 0; n < ids.Length; n++)
        {
            for (int i = 0; i < v; i++)
            {
                for (int k = 0; k < d; k++)
                {
                    grad[i * d + k] += rv[n * v + i] * w[ids[n] * d + k];
                    grad[ids[n] * d + k] += rv[n * v + i] * w[i * d + k];
                }
            }
        }
        var list = duplicatesInList
            ? lm.NamedParameters(removeDuplicate: false).Select(p => p.Parameter).ToList()
            : lm.Parameters().ToList();
        Assert.Equal(duplicatesInList ? 2 : 1, list.Count);
        var sgd = new Sgd(list, lr);
        Assert.Single(sgd.Groups[0].Parameters);
        (lm.Call(Tensor.From(ids)) * r).Sum().Backward();
        sgd.Step();
        var after = lm.Wte.Weight.ToFloatArray();
        for (int i = 0; i < w.Length; i++) Assert.InRange(after[i] - (w[i] - lr * grad[i]), -1e-5f, 1e-5f);
    }

    [Fact]
    public void Optimizer_ParameterInTwoGroupsIsAnError()
    {
        var fc = new Linear(2, 2);
        var e = Assert.Throws<ArgumentException>(() =>
            new Sgd([new ParamGroup([fc.Weight]), new ParamGroup([fc.Weight, fc.Bias!])], 0.1));
        Assert.Contains("Sgd: a parameter of shape [2,2] is in groups 0 and 1", e.Message);
    }

    // ---- computed names and containers ----

    /// <summary>PyTorch's LSTM parameter names: weight_ih_l{k}{_reverse}, weight_hh, bias_ih, bias_hh.</summary>
    private sealed class LstmNames : Module
    {
        public LstmNames(int input, int hidden, int layers, bool bidirectional)
        {
            for (int k = 0; k < layers; k++)
            {
                foreach (string suffix in bidirectional ? new[] { "", "_reverse" } : [""])
                {
                    int inSize = k == 0 ? input : hidden * (bidirectional ? 2 : 1);
                    RegisterParameter($"weight_ih_l{k}{suffix}", Init.Uniform([4 * hidden, inSize], 0.1));
                    RegisterParameter($"weight_hh_l{k}{suffix}", Init.Uniform([4 * hidden, hidden], 0.1));
                    RegisterParameter($"bias_ih_l{k}{suffix}", Init.Zeros([4 * hidden]));
                    RegisterParameter($"bias_hh_l{k}{suffix}", Init.Zeros([4 * hidden]));
                }
            }
        }

        public void Register(string name) => RegisterParameter(name, Init.Zeros([1]));

        public void RegisterChild(string name) => RegisterModule(name, new Identity());
    }

    [Fact]
    public void Register_ComputedNamesInRegistrationOrder()
    {
        var lstm = new LstmNames(3, 2, 2, bidirectional: true);
        var names = lstm.StateDict().Keys.ToList();
        Assert.Equal(16, names.Count);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"], names[..5]);
        Assert.Contains("weight_hh_l1", names);
        Assert.Equal([8, 4], lstm.StateDict()["weight_ih_l1_reverse"].Shape.ToArray());
    }

    [Fact]
    public void Register_DuplicateAndInvalidNamesAreErrors()
    {
        var lstm = new LstmNames(3, 2, 1, bidirectional: false);
        var e = Assert.Throws<ArgumentException>(() => lstm.Register("weight_hh_l0"));
        Assert.Equal("LstmNames.RegisterParameter: 'weight_hh_l0' is already registered as a parameter", e.Message);
        e = Assert.Throws<ArgumentException>(() => lstm.RegisterChild("weight_ih_l0"));
        Assert.Contains("'weight_ih_l0' is already registered as a parameter", e.Message);
        e = Assert.Throws<ArgumentException>(() => lstm.Register("a.b"));
        Assert.Contains("LstmNames.RegisterParameter: name 'a.b' is invalid", e.Message);
        Assert.Throws<ArgumentException>(() => lstm.Register(""));
        var seq = new Sequential(("fc", new Linear(2, 2)));
        e = Assert.Throws<ArgumentException>(() => seq.Append("fc", new Relu()));
        Assert.Contains("'fc' is already registered as a module", e.Message);
    }

    /// <summary>torchvision's _DenseLayer attributes.</summary>
    private sealed class DenseLayer(int channels, int growth) : Module, ILayer
    {
        public BatchNorm2d Norm1 { get; } = new(channels);

        public Relu Relu1 { get; } = new();

        public Conv2d Conv1 { get; } = new(channels, growth, 1, bias: false);

        public Tensor Forward(Tensor x) => Tensor.Cat([x, Conv1.Call(Relu1.Call(Norm1.Call(x)))], 1);
    }

    /// <summary>torchvision's _DenseBlock: layers registered as denselayer1, denselayer2, ….</summary>
    private sealed class DenseBlock : Module, ILayer
    {
        private readonly List<DenseLayer> layers = [];

        public DenseBlock(int layerCount, int channels, int growth)
        {
            for (int i = 0; i < layerCount; i++)
                layers.Add(RegisterModule($"denselayer{i + 1}", new DenseLayer(channels + i * growth, growth))!);
        }

        public Tensor Forward(Tensor x)
        {
            foreach (var l in layers) x = l.Call(x);
            return x;
        }
    }

    private sealed class TinyDenseNet : Module, ILayer
    {
        public Sequential Features { get; } = new(
            ("conv0", new Conv2d(1, 4, 3, padding: 1, bias: false)),
            ("norm0", new BatchNorm2d(4)),
            ("relu0", new Relu()),
            ("denseblock1", new DenseBlock(2, 4, 2)),
            ("pool", new GlobalAvgPool()));

        public Linear Classifier { get; set; } = new(8, 3);

        public Tensor Forward(Tensor x) => Classifier.Call(Features.Call(x));
    }

    [Fact]
    public void Names_TorchvisionDenseNetShape()
    {
        var net = new TinyDenseNet();
        var keys = net.StateDict().Keys.ToList();
        Assert.Contains("features.denseblock1.denselayer1.conv1.weight", keys);
        Assert.Contains("features.denseblock1.denselayer2.norm1.running_var", keys);
        Assert.Equal(["features.conv0.weight", "features.norm0.weight"], keys[..2]);
        Assert.Equal(["classifier.weight", "classifier.bias"], keys[^2..]);
        Assert.Equal([2, 3], net.Call(Tensor.Zeros(2, 1, 5, 5)).Shape.ToArray());
    }

    private sealed class Gpt2Attention : Module
    {
        public Linear CAttn { get; } = new(4, 12);

        public Linear CProj { get; } = new(4, 4);
    }

    private sealed class Gpt2Block : Module
    {
        [StateName("ln_1")]
        public LayerNorm Ln1 { get; } = new(4);

        public Gpt2Attention Attn { get; } = new();
    }

    private sealed class Gpt2Names : Module
    {
        public Embedding Wte { get; } = new(10, 4);

        public ModuleList<Gpt2Block> H { get; } = new([new Gpt2Block(), new Gpt2Block()]);

        public ModuleDict<LayerNorm> Norms { get; } = new([("ln_f", new LayerNorm(4))]);
    }

    [Fact]
    public void Names_HuggingFaceGpt2Shape()
    {
        var keys = new Gpt2Names().StateDict().Keys.ToList();
        Assert.Contains("h.0.attn.c_attn.weight", keys);
        Assert.Contains("h.1.ln_1.bias", keys);
        Assert.Contains("norms.ln_f.weight", keys);
        Assert.Equal("wte.weight", keys[0]);
    }

    // ---- loading ----

    [Fact]
    public void Load_RemapTransposesConv1DWeightsIntoLinear()
    {
        var model = new Gpt2Names();
        var g = new Generator(4);
        // A Hugging Face checkpoint: "transformer." prefix, Conv1D weights stored [in, out].
        var hf = model.StateDict().ToDictionary(kv => "transformer." + kv.Key, kv => Conv1D(kv.Key)
            ? Tensor.Rand([kv.Value.Size(1), kv.Value.Size(0)], g)
            : Tensor.Rand(kv.Value.Shape, g));
        var result = model.LoadStateDict(hf, remap: (name, t) =>
        {
            name = name["transformer.".Length..];
            return (name, Conv1D(name) ? t.Transpose(0, 1) : t);
        });
        Assert.True(result.IsExact);
        var w = model.H[1].Attn.CAttn.Weight;
        Assert.Equal([12, 4], w.Shape.ToArray());
        Assert.Equal(hf["transformer.h.1.attn.c_attn.weight"].Transpose(0, 1).Contiguous().ToFloatArray(),
            w.ToFloatArray());

        static bool Conv1D(string name) => name.EndsWith("c_attn.weight", StringComparison.Ordinal) ||
            name.EndsWith("c_proj.weight", StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NonStrictReturnsMissingAndUnexpected_StrictChangesNothing()
    {
        var lm = new Gpt2Names();
        var state = lm.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.Zeros(kv.Value.Shape));
        state.Remove("wte.weight");
        state["lm_head.weight"] = Tensor.Zeros(10, 4);
        var before = lm.H[0].Attn.CAttn.Weight.ToFloatArray();
        Assert.Throws<ArgumentException>(() => lm.LoadStateDict(state));
        Assert.Equal(before, lm.H[0].Attn.CAttn.Weight.ToFloatArray());
        var result = lm.LoadStateDict(state, strict: false);
        Assert.Equal(["wte.weight"], result.MissingKeys);
        Assert.Equal(["lm_head.weight"], result.UnexpectedKeys);
        Assert.All(lm.H[0].Attn.CAttn.Weight.ToFloatArray(), x => Assert.Equal(0f, x));
        var e = Assert.Throws<ArgumentException>(() =>
            lm.LoadStateDict(state, strict: false, remap: (_, t) => ("x", t)));
        Assert.Contains("remap sends both", e.Message);
    }

    // ---- replaceable heads ----

    [Fact]
    public void Head_ReplacedInSequentialByNameAndIndex_OldParametersGone_NewHeadTrains()
    {
        var seq = new Sequential(("body", new Linear(2, 8)), ("act", new Relu()), ("fc", new Linear(8, 5)));
        var old = (Linear)seq["fc"];
        seq["fc"] = new Linear(8, 3);
        seq[2] = new Linear(8, 2); // by index, the same slot
        Assert.Equal(["body.weight", "body.bias", "fc.weight", "fc.bias"], seq.StateDict().Keys);
        Assert.DoesNotContain(seq.Parameters(), p => ReferenceEquals(p, old.Weight) || ReferenceEquals(p, old.Bias));
        var head = (Linear)seq[2];
        Assert.Contains(seq.Parameters(), p => ReferenceEquals(p, head.Weight));
        ((Linear)seq["body"]).Freeze();
        var (x, y) = TwoClasses();
        var sgd = new Sgd(seq.Parameters().Where(p => p.RequiresGrad), 0.5);
        var body = ((Linear)seq["body"]).Weight.ToFloatArray();
        var losses = new List<double>();
        for (int step = 0; step < 60; step++)
        {
            var loss = Losses.CrossEntropy(seq.Call(x), y);
            sgd.ZeroGrad();
            loss.Backward();
            sgd.Step();
            losses.Add(loss.Item());
        }
        Assert.True(losses[^1] < 0.8 * losses[0], $"loss {losses[0]} → {losses[^1]}");
        Assert.Equal(body, ((Linear)seq["body"]).Weight.ToFloatArray()); // frozen body untouched
    }

    [Fact]
    public void Head_ReplacedThroughSettableProperty()
    {
        var net = new TinyDenseNet();
        var old = net.Classifier;
        net.Classifier = new Linear(8, 7);
        Assert.DoesNotContain(net.Parameters(), p => ReferenceEquals(p, old.Weight));
        Assert.Equal([7, 8], net.StateDict()["classifier.weight"].Shape.ToArray());
        Assert.Equal([1, 7], net.Call(Tensor.Zeros(1, 1, 5, 5)).Shape.ToArray());
    }

    private static (Tensor X, Tensor Y) TwoClasses()
    {
        var g = new Generator(9);
        var x = Tensor.Randn([32, 2], g).ToFloatArray();
        var y = new long[32];
        for (int i = 0; i < 32; i++) y[i] = x[2 * i] + x[2 * i + 1] > 0 ? 1 : 0;
        return (Tensor.From(x, 32, 2), Tensor.From(y));
    }

    // ---- members that would be skipped ----

    private sealed class PrivateField : Module, ILayer
    {
        private readonly Linear fc = new(2, 2);

        public Tensor Forward(Tensor x) => fc.Call(x);
    }

    private sealed class PrivateProperty : Module
    {
        private Parameter Scale { get; } = Init.Ones([1]);

        public double Value => Scale.Item();
    }

    private sealed class Captured(Linear inner) : Module, ILayer
    {
        public Tensor Forward(Tensor x) => inner.Call(x);
    }

    private sealed class WithParent : Module
    {
        public WithParent(Module parent) => Parent = parent;

        [NotAModule]
        private Module Parent { get; }

        public Linear Fc { get; } = new(1, 1);

        public string ParentName => Parent.GetType().Name;
    }

    [Fact]
    public void Hidden_PrivateFieldPropertyOrCapturedModuleIsRejectedWithAFix()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new PrivateField().Parameters().ToList());
        Assert.StartsWith(
            "PrivateField: field PrivateField.fc holds a module (Linear) that is not registered", e.Message);
        Assert.Contains("public get-only property", e.Message);
        Assert.Contains("RegisterModule(name, value)", e.Message);
        Assert.Contains("[NotAModule]", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => new PrivateProperty().StateDict());
        Assert.Contains("property PrivateProperty.Scale holds a parameter ([1])", e.Message);
        Assert.Contains("RegisterParameter(name, value)", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => new Captured(new Linear(1, 1)).NamedModules().ToList());
        Assert.Contains("constructor parameter 'inner' of Captured", e.Message);
    }

    [Fact]
    public void Hidden_NotAModuleOptsOut_RegisteredFieldsAreFine()
    {
        var root = new Sequential(new Linear(1, 1));
        var child = new WithParent(root);
        Assert.Equal(["fc.weight", "fc.bias"], child.StateDict().Keys);
        Assert.Equal("Sequential", child.ParentName);
        Assert.Single(new TiedHead(Init.Ones([2, 2])).Parameters()); // private field, registered
    }

    // ---- TensorScope ----

    [Fact]
    public void Scope_ModelBuiltInsideKeepsItsWeightsAfterwards()
    {
        TinyDenseNet net;
        LstmNames lstm;
        float[] before;
        using (var outer = TensorScope.Begin())
        {
            using (var inner = TensorScope.Begin())
            {
                net = new TinyDenseNet();
                lstm = new LstmNames(2, 2, 1, false);
                before = net.Classifier.Weight.ToFloatArray();
                _ = Tensor.Rand([64, 64]); // scope traffic that may reuse pooled arrays
            }
            _ = Tensor.Rand([64, 64]);
        }
        Assert.All(net.StateDict().Values, t => Assert.True(t.Storage.IsAlive));
        Assert.All(lstm.StateDict().Values, t => Assert.True(t.Storage.IsAlive));
        Assert.Equal(before, net.Classifier.Weight.ToFloatArray());
        Assert.Equal([2, 3], net.Call(Tensor.Zeros(2, 1, 5, 5)).Shape.ToArray());
    }

    // ---- the call path ----

    /// <summary>A module with two inputs and a tuple output, calling through Invoke.</summary>
    private sealed class TwoInTwoOut : Module
    {
        public Linear Fc { get; } = new(3, 4);

        public (Tensor Output, Tensor State) Call(Tensor x, Tensor? state = null) =>
            Invoke([x, state], a => Forward((Tensor)a[0]!, (Tensor?)a[1]));

        private (Tensor, Tensor) Forward(Tensor x, Tensor? state)
        {
            var y = Fc.Call(x);
            return (y, state is null ? y.Sum(1) : y.Sum(1) + state);
        }
    }

    [Fact]
    public void Hooks_PreAndPostFireInsideContainers_ReplaceValues_AndAreRemovable()
    {
        var seq = new Sequential(new Linear(3, 3), new Relu(), new Linear(3, 2));
        var seen = new List<string>();
        using var pre = ((Module)seq[0]).RegisterForwardPreHook((m, inputs) =>
        {
            seen.Add("pre " + m.GetType().Name);
            inputs[0] = Tensor.Zeros(((Tensor)inputs[0]!).Shape);
        });
        var post = ((Module)seq[2]).RegisterForwardHook((m, _, o) =>
        {
            seen.Add("post " + m.GetType().Name + " " + Shapes.Format(((Tensor)o!).Shape));
            return Tensor.Ones(4, 2);
        });
        var y = seq.Call(Tensor.Randn([4, 3], new Generator(1)));
        Assert.Equal(["pre Linear", "post Linear [4,2]"], seen);
        Assert.All(y.ToFloatArray(), v => Assert.Equal(1f, v));
        post.Remove();
        y = seq.Call(Tensor.Randn([4, 3], new Generator(1)));
        Assert.NotEqual(1f, y.ToFloatArray()[0]);
        Assert.Equal(3, seen.Count);

        var two = new TwoInTwoOut();
        object? captured = null;
        int inputs = 0;
        two.RegisterForwardHook((_, i, o) =>
        {
            inputs = i.Length;
            captured = o;
            return null;
        });
        var (output, state) = two.Call(Tensor.Zeros(2, 3), Tensor.Ones(2));
        Assert.Equal(2, inputs);
        Assert.Equal((output, state), captured);
        var e = Assert.Throws<InvalidOperationException>(() =>
        {
            two.RegisterForwardHook((_, _, _) => Tensor.Zeros(1));
            two.Call(Tensor.Zeros(2, 3));
        });
        Assert.Contains("TwoInTwoOut: a forward hook returned Tensor", e.Message);
    }

    [Fact]
    public void Call_WithoutHooksAllocatesNothing()
    {
        var id = new Identity();
        var x = Tensor.Zeros(2);
        id.Call(x);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) id.Call(x);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ModuleDict_SetAddsOrReplacesInPlace()
    {
        var dict = new ModuleDict<Linear>([("a", new Linear(1, 1)), ("b", new Linear(1, 2))]);
        dict["a"] = new Linear(1, 3);
        dict["c"] = new Linear(1, 4);
        Assert.Equal(["a", "b", "c"], dict.Keys);
        Assert.Equal(["a.weight", "a.bias", "b.weight", "b.bias", "c.weight", "c.bias"], dict.StateDict().Keys);
        Assert.Equal([3, 1], dict.StateDict()["a.weight"].Shape.ToArray());
        var e = Assert.Throws<KeyNotFoundException>(() => dict["z"]);
        Assert.Contains("ModuleDict: no module named 'z'; names: [a, b, c]", e.Message);
    }

    // ---- Summary ----

    private sealed class Encoder : Module, ILayer
    {
        public Linear Fc1 { get; } = new(3, 8);

        public Tanh Act { get; } = new();

        public Linear Fc2 { get; } = new(8, 4);

        public Tensor Forward(Tensor x) => Fc2.Call(Act.Call(Fc1.Call(x)));
    }

    private sealed class Nested : Module, ILayer
    {
        public Encoder Encoder { get; } = new();

        public TwoInTwoOut Pair { get; } = new();

        public ModuleList<Linear> Heads { get; } = new([new Linear(4, 2), new Linear(4, 1)]);

        public Tensor Forward(Tensor x)
        {
            var (y, _) = Pair.Call(x);
            var h = Encoder.Call(x) + y;
            return Tensor.Cat([Heads[0].Call(h), Heads[1].Call(h)], 1);
        }
    }

    [Fact]
    public void Summary_NestedNonSequentialModelListsEveryLeafWithShapes()
    {
        var net = new Nested();
        net.Encoder.Freeze();
        var text = Summary.Of(net, [5, 3]);
        string Row(string name) =>
            text.Split('\n').Single(l => l.TrimStart().StartsWith(name + " (", StringComparison.Ordinal));
        Assert.Contains("[5,8]", Row("encoder.fc1"));
        Assert.Contains("[5,8]", Row("encoder.act"));
        Assert.Contains("[5,4]", Row("encoder.fc2"));
        Assert.Contains("[5,4]", Row("encoder"));
        Assert.Contains("([5,4], [5])", Row("pair"));
        Assert.Contains("[5,4]", Row("pair.fc"));
        Assert.Contains("[5,2]", Row("heads.0"));
        Assert.Contains("[5,1]", Row("heads.1"));
        Assert.EndsWith(" 10", Row("heads.0").TrimEnd());
        long frozen = 3 * 8 + 8 + 8 * 4 + 4, total = frozen + 3 * 4 + 4 + 4 * 2 + 2 + 4 + 1;
        Assert.Contains($"Total params: {total}", text);
        Assert.Contains($"Trainable params: {total - frozen}", text);
        Assert.Contains($"Non-trainable params: {frozen}", text);
        Assert.Contains("Output shape: [5,3]", text);
        Assert.True(net.Training); // the run's evaluation mode is undone
    }

    [Fact]
    public void Summary_TakesAnyForward()
    {
        var two = new TwoInTwoOut();
        var text = Summary.Of(two, () => two.Call(Tensor.Zeros(2, 3), Tensor.Zeros(2)));
        Assert.Contains("fc (Linear(3, 4, bias=True))", text);
        Assert.Contains("Output shape: ([2,4], [2])", text);
        var e = Assert.Throws<ArgumentException>(() => Summary.Of(two, [2, 3]));
        Assert.Contains("Summary: TwoInTwoOut does not take one tensor", e.Message);
    }

    // ---- fluent modes ----

    [Fact]
    public void Fluent_ModesKeepTheCallersType()
    {
        Mlp mlp = new Mlp(new MlpConfig(2, [3], 1)).Eval();
        Assert.False(mlp.Training);
        Linear frozen = new Linear(2, 2).Freeze();
        Assert.Equal(0, frozen.ParameterCount(trainableOnly: true));
        Sequential seq = new Sequential(frozen).Unfreeze().Train();
        Assert.True(seq.Training && frozen.Weight.RequiresGrad);
    }
}
