using System.Globalization;
using System.Text.Json;

namespace Dendrite.Tests;

/// <summary>
/// Access to tests/fixtures/nn.json, written by tools/make_nn_fixtures.py with PyTorch: the sections layers,
/// activations, losses, optimizers, schedulers and clip, each a list of named entries. Tensors are stored as
/// {shape, dtype, data}.
/// </summary>
public static class NnFixture
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "nn.json"))));

    /// <summary>The header: generator script, torch version, seed.</summary>
    public static JsonElement Header => Document.Value.RootElement.GetProperty("header");

    /// <summary>A top-level section.</summary>
    public static JsonElement Section(string name) => Document.Value.RootElement.GetProperty(name);

    /// <summary>The names of every entry of a list section.</summary>
    public static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var e in Section(section).EnumerateArray()) data.Add(e.GetProperty("name").GetString()!);
        return data;
    }

    /// <summary>The entry called <paramref name="name"/> of a list section.</summary>
    public static JsonElement Entry(string section, string name)
    {
        foreach (var e in Section(section).EnumerateArray())
        {
            if (e.GetProperty("name").GetString() == name) return e;
        }
        throw new KeyNotFoundException($"nn.json: section {section} has no entry {name}");
    }

    /// <summary>A tensor from {shape, dtype, data}.</summary>
    public static Tensor ToTensor(JsonElement e)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray();
        return e.GetProperty("dtype").GetString() switch
        {
            "float32" => Tensor.From(data.Select(v => (float)v.GetDouble()).ToArray(), shape),
            "int64" => Tensor.From(data.Select(v => v.GetInt64()).ToArray(), shape),
            var d => throw new InvalidDataException($"nn.json: unknown dtype {d}"),
        };
    }

    /// <summary>A {name: tensor} object as a state dict.</summary>
    public static Dictionary<string, Tensor> ToStateDict(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => ToTensor(p.Value));

    /// <summary>Asserts equal shapes and |actual - expected| ≤ atol + rtol·|expected| element by element.</summary>
    public static void AssertClose(Tensor actual, Tensor expected, string what, double atol = 1e-5, double rtol = 1e-4)
    {
        Assert.True(Shapes.Equal(actual.Shape, expected.Shape),
            $"{what}: shape {Shapes.Format(actual.Shape)}, torch {Shapes.Format(expected.Shape)}");
        double[] got = actual.ToArray<double>(), want = expected.ToArray<double>();
        for (int i = 0; i < want.Length; i++)
        {
            bool ok = Math.Abs(got[i] - want[i]) <= atol + rtol * Math.Abs(want[i]);
            Assert.True(ok, string.Create(CultureInfo.InvariantCulture,
                $"{what}: element {i}: got {got[i]:R}, torch {want[i]:R} (shape {Shapes.Format(expected.Shape)})"));
        }
    }

    /// <summary><see cref="AssertClose(Tensor, Tensor, string, double, double)"/> against a fixture tensor.</summary>
    public static void AssertClose(Tensor actual, JsonElement expected, string what, double atol = 1e-5,
        double rtol = 1e-4) => AssertClose(actual, ToTensor(expected), what, atol, rtol);
}
