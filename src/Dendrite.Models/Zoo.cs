using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>Models that the command line can build by name, with the input shape they expect (batch excluded).</summary>
public static class Zoo
{
    /// <summary>One entry: how to build the model and what one example looks like.</summary>
    public sealed record Entry(string Name, string Description, int[] InputShape, Func<Module> Create);

    /// <summary>Every model by name.</summary>
    public static IReadOnlyList<Entry> All { get; } =
    [
        new("mlp", "784-256-128-10 ReLU MLP for Fashion-MNIST", [1, 28, 28], Mlp.FashionMnist),
    ];

    /// <summary>The entry called <paramref name="name"/>.</summary>
    public static Entry Get(string name) => All.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", All.Select(e => e.Name))}");
}
