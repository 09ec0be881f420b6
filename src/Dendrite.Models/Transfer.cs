// Transfer learning (Yosinski et al., 2014, "How transferable are features in deep neural networks?"): a network
// trained on one task lends its convolutional base to another. Three ways to use it, on any zoo model:
// - replacing the head: the base without its classifier, then global average pooling and a new linear layer;
// - feature extraction: the base frozen, its features computed once (cached) and only the new head trained on them;
// - fine-tuning: the early blocks frozen (they hold generic edges and textures), the later ones trained at a lower
//   learning rate than the new head, through the optimizer's parameter groups.
//
// Shapes: x (N, C, H, W) → base → (N, F, h, w) (or (N, F, 1, 1), or (N, F)) → pooled (N, F) → head (N, classes).

using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models;

/// <summary>A base network (a zoo model without its top) and a new head: global average pooling of the base's
/// output, then one linear layer. x (N, C, H, W) → (N, classes).</summary>
public sealed class TransferModel : Module, ILayer
{
    /// <summary>The base <paramref name="baseNetwork"/>, whose pooled output has <paramref name="features"/> values,
    /// and a new head of <paramref name="numClasses"/> outputs (PyTorch's default initialisation).</summary>
    public TransferModel(Module baseNetwork, int features, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(baseNetwork);
        if (baseNetwork is not ILayer)
            throw new ArgumentException($"TransferModel: the base {baseNetwork.GetType().Name} has no single-tensor " +
                "Forward (ILayer)");
        Base = baseNetwork;
        Features = features;
        Head = new Linear(features, numClasses);
    }

    /// <summary>The (pre-trained) base; its state-dict names start with <c>base.</c>.</summary>
    public Module Base { get; }

    /// <summary>Values per example after pooling the base's output: the head's input size.</summary>
    public int Features { get; }

    /// <summary>The new classifier; replace it to change the task.</summary>
    public Linear Head { get; set; }

    /// <summary>The base's output pooled to (N, F): global average pooling of a feature map (N, F, h, w), or the
    /// output flattened when it has no spatial dimensions.</summary>
    public static Tensor Pool(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        return features.Rank == 4 ? features.AdaptiveAvgPool2d(1, 1).Flatten(1) : features.Flatten(1);
    }

    /// <summary>The pooled features of <paramref name="x"/>: (N, F).</summary>
    public Tensor Extract(Tensor x) => Pool(((ILayer)Base).Call(x));

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Head.Call(Extract(x));
}

/// <summary>Building transfer models from the zoo and setting them up for feature extraction or fine-tuning.
/// </summary>
public static class Transfer
{
    /// <summary>Zoo model <paramref name="name"/> built without its top (<paramref name="options"/> with
    /// IncludeTop false), its base weights copied from <paramref name="pretrained"/> (the state dict of the same model
    /// trained with its top: the old head's entries are ignored, every base entry must be there), and a new head of
    /// <paramref name="numClasses"/> outputs. <paramref name="inputShape"/> (C, H, W) is one example's shape, used
    /// once to find the feature size.</summary>
    public static TransferModel FromPretrained(string name, ZooOptions options,
        IReadOnlyDictionary<string, Tensor>? pretrained, int numClasses, int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(options);
        var headless = Zoo.Create(name, options with { IncludeTop = false });
        if (pretrained is not null)
        {
            var result = headless.LoadStateDict(pretrained, strict: false);
            if (result.MissingKeys.Count > 0)
                throw new ArgumentException($"Transfer: the pre-trained weights lack {result.MissingKeys.Count} " +
                    $"entries " +
                    $"of {name}'s base, first '{result.MissingKeys[0]}'; were they trained with the same options " +
                    $"(channels {options.InChannels}, small input {options.SmallInput})?");
        }
        return WithNewHead(headless, numClasses, inputShape);
    }

    /// <summary>A new head of <paramref name="numClasses"/> outputs on <paramref name="baseNetwork"/>; the feature
    /// size is found by running one zero example of shape <paramref name="inputShape"/> (C, H, W) in evaluation
    /// mode.</summary>
    public static TransferModel WithNewHead(Module baseNetwork, int numClasses, int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(baseNetwork);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (baseNetwork is not ILayer layer)
            throw new ArgumentException($"Transfer: the base {baseNetwork.GetType().Name} has no single-tensor " +
                "Forward");
        bool training = baseNetwork.Training;
        int features;
        try
        {
            baseNetwork.Train(false);
            using var _ = Autograd.NoGrad();
            using var scope = TensorScope.Begin();
            var pooled = TransferModel.Pool(layer.Call(Tensor.Zeros([1, .. inputShape])));
            features = pooled.Size(1);
        }
        finally
        {
            baseNetwork.Train(training);
        }
        return new TransferModel(baseNetwork, features, numClasses);
    }

    /// <summary>The blocks of a base in order: its direct children that hold parameters (LeNet's C1, C3, C5;
    /// ResNet's conv1, bn1, layer1 … layer4). Fine-tuning freezes a prefix of them.</summary>
    public static IReadOnlyList<(string Name, Module Block)> Blocks(Module baseNetwork)
    {
        ArgumentNullException.ThrowIfNull(baseNetwork);
        return [.. baseNetwork.NamedChildren().Where(c => c.Module.Parameters().Any())];
    }

    /// <summary>Feature extraction: the whole base frozen, and the pooled features of <paramref name="x"/> computed
    /// once in evaluation mode, <paramref name="batchSize"/> examples at a time: (N, F). Train
    /// <see cref="TransferModel.Head"/> on them; the model then classifies images end to end.</summary>
    public static Tensor CacheFeatures(TransferModel model, Tensor x, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        model.Base.Freeze();
        bool training = model.Base.Training;
        model.Base.Train(false);
        try
        {
            using var _ = Autograd.NoGrad();
            var parts = new List<Tensor>();
            for (int start = 0; start < x.Size(0); start += batchSize)
            {
                int len = Math.Min(batchSize, x.Size(0) - start);
                parts.Add(model.Extract(x.Narrow(0, start, len)).Contiguous());
            }
            return parts.Count == 1 ? parts[0] : Tensor.Cat(parts, 0);
        }
        finally
        {
            model.Base.Train(training);
        }
    }

    /// <summary>Fine-tuning: freezes the first <paramref name="frozenBlocks"/> blocks of the base
    /// (<see cref="Blocks"/>), and returns two parameter groups for an optimizer: the rest of the base at
    /// <paramref name="lr"/> × <paramref name="baseLrFactor"/>, the head at <paramref name="lr"/>. Batch norm in a
    /// frozen block still updates its running statistics in training mode; put such blocks in evaluation mode after
    /// <c>Train()</c> if they must stay as they were.</summary>
    public static IReadOnlyList<ParamGroup> FineTune(TransferModel model, int frozenBlocks, double lr,
        double baseLrFactor = 0.1)
    {
        ArgumentNullException.ThrowIfNull(model);
        var blocks = Blocks(model.Base);
        if (frozenBlocks < 0 || frozenBlocks > blocks.Count)
            throw new ArgumentOutOfRangeException(nameof(frozenBlocks), $"Transfer.FineTune: {frozenBlocks} frozen " +
                $"blocks asked of a base with {blocks.Count} ({string.Join(", ", blocks.Select(b => b.Name))})");
        model.Base.Unfreeze();
        for (int i = 0; i < frozenBlocks; i++) blocks[i].Block.Freeze();
        var trainable = model.Base.Parameters().Where(p => p.RequiresGrad).ToList();
        var groups = new List<ParamGroup>();
        if (trainable.Count > 0) groups.Add(new ParamGroup(trainable, lr: lr * baseLrFactor));
        groups.Add(new ParamGroup(model.Head.Parameters(), lr: lr));
        return groups;
    }
}
