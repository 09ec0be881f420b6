using System.Text.Json;

namespace Dendrite.Tests.Transformers;

/// <summary>
/// Access to tests/fixtures/transformer.json, written by tools/make_transformer_fixtures.py with PyTorch: sections
/// attention, mha, encoder, decoder, transformer, layernorm, gelu, positional and gpt2, each a list of named
/// entries. Tensors are {shape, dtype, data} with dtype float32, int64 or bool.
/// </summary>
public static class TransformerFixture
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "transformer.json"))));

    /// <summary>The header: generator script, torch version, seed.</summary>
    public static JsonElement Header => Document.Value.RootElement.GetProperty("header");

    /// <summary>The names of every entry of a section.</summary>
    public static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var e in Document.Value.RootElement.GetProperty(section).EnumerateArray())
            data.Add(e.GetProperty("name").GetString()!);
        return data;
    }

    /// <summary>The entry called <paramref name="name"/> of a section.</summary>
    public static JsonElement Entry(string section, string name)
    {
        foreach (var e in Document.Value.RootElement.GetProperty(section).EnumerateArray())
        {
            if (e.GetProperty("name").GetString() == name) return e;
        }
        throw new KeyNotFoundException($"transformer.json: section {section} has no entry {name}");
    }

    /// <summary>A tensor from {shape, dtype, data}.</summary>
    public static Tensor ToTensor(JsonElement e)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray();
        return e.GetProperty("dtype").GetString() switch
        {
            "float32" => Tensor.From(data.Select(Float).ToArray(), shape),
            "int64" => Tensor.From(data.Select(v => v.GetInt64()).ToArray(), shape),
            "bool" => Tensor.From(data.Select(v => v.GetBoolean()).ToArray(), shape),
            var d => throw new InvalidDataException($"transformer.json: unknown dtype {d}"),
        };
    }

    // Infinities are stored as the strings "inf" and "-inf" (JSON has no number for them).
    private static float Float(JsonElement v) => v.ValueKind == JsonValueKind.String
        ? (v.GetString() == "-inf" ? float.NegativeInfinity : float.PositiveInfinity)
        : (float)v.GetDouble();

    /// <summary>The tensor stored under <paramref name="key"/> of an entry.</summary>
    public static Tensor Get(JsonElement entry, string key) => ToTensor(entry.GetProperty(key));

    /// <summary>A {name: tensor} object as a state dict.</summary>
    public static Dictionary<string, Tensor> ToStateDict(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => ToTensor(p.Value));
}
