// Multilayer perceptron: fully connected layers with a non-linearity between them, trained by backpropagation
// (Rumelhart, Hinton & Williams, 1986). The default configuration is the course's Fashion-MNIST classifier
// 784-256-128-10 with ReLU; one hidden layer of two tanh units is the classic XOR solver.
//
// Shapes: N batch, F input features (images are flattened first), C classes.

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>Configuration of an <see cref="Mlp"/>.</summary>
/// <param name="Inputs">F, input features.</param>
/// <param name="Hidden">Width of each hidden layer, in order.</param>
/// <param name="Outputs">C, outputs (classes).</param>
/// <param name="Activation">"relu", "tanh", "sigmoid", "gelu", "silu", "elu" or "leaky_relu".</param>
/// <param name="Dropout">Dropout probability after each hidden activation (0 for none).</param>
public sealed record MlpConfig(int Inputs = 784, int[]? Hidden = null, int Outputs = 10, string Activation = "relu",
    double Dropout = 0)
{
    /// <summary>The hidden widths (256, 128 by default).</summary>
    public int[] HiddenSizes => Hidden ?? [256, 128];
}

/// <summary>Flatten → (Linear → activation [→ dropout]) per hidden layer → Linear. State-dict names follow
/// <c>layers.{i}.weight</c> with i counting every module of the stack, as an equivalent nn.Sequential.</summary>
public sealed class Mlp : Module, ILayer
{
    /// <summary>Builds the network.</summary>
    public Mlp(MlpConfig config)
    {
        Config = config;
        var layers = new List<ILayer>();
        int width = config.Inputs;
        foreach (int h in config.HiddenSizes)
        {
            layers.Add(new Linear(width, h));
            layers.Add(MakeActivation(config.Activation));
            if (config.Dropout > 0) layers.Add(new Nn.Dropout(config.Dropout));
            width = h;
        }
        layers.Add(new Linear(width, config.Outputs));
        Layers = new Sequential([.. layers]);
    }

    /// <summary>The configuration.</summary>
    public MlpConfig Config { get; }

    /// <summary>The layer stack.</summary>
    public Sequential Layers { get; }

    /// <summary>The course's Fashion-MNIST model: 784-256-128-10, ReLU.</summary>
    public static Mlp FashionMnist() => new(new MlpConfig());

    /// <summary>Two inputs, one hidden layer, one output: enough to solve XOR.</summary>
    public static Mlp Xor(int hidden = 4, string activation = "tanh") => new(new MlpConfig(2, [hidden], 1, activation));

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Layers.Call(x.Rank > 2 ? x.Flatten(1) : x); // (N, F) → (N, C)

    private static ILayer MakeActivation(string name) => name switch
    {
        "relu" => new Relu(),
        "tanh" => new Nn.Tanh(),
        "sigmoid" => new Nn.Sigmoid(),
        "gelu" => new Gelu(),
        "silu" or "swish" => new Silu(),
        "elu" => new Elu(),
        "leaky_relu" => new LeakyRelu(),
        _ => throw new ArgumentException($"Mlp: unknown activation '{name}'"),
    };
}
