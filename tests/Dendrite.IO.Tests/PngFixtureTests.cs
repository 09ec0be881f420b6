using System.Text.Json;
using Dendrite.IO;

namespace Dendrite.IO.Tests;

/// <summary>PNG files of every colour type, written by another encoder with all five row filters, decode to the
/// values that encoder was given.</summary>
public class PngFixtureTests
{
    [Theory]
    [InlineData("grey", 1)]
    [InlineData("rgb", 3)]
    [InlineData("palette", 3)]
    [InlineData("greyalpha", 1)]
    [InlineData("rgba", 3)]
    public void Decode_EveryColourTypeAndFilter(string kind, int colourChannels)
    {
        // tests/fixtures/io/png_*.png and png.json come from tools/make_io_fixtures.py; alpha is not part of the
        // decoded tensor, so only the colour channels are compared.
        string dirOf = Path.Combine(AppContext.BaseDirectory, "fixtures", "io");
        // Grey with alpha is widened to RGB by the decoder; asking for grey gives the stored value back.
        var colour = colourChannels == 1 ? ImageColor.Grey : ImageColor.Rgb;
        var t = Image.Load(Path.Combine(dirOf, $"png_{kind}.png"), new ImageReadOptions(colour, Scale: false));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dirOf, "png.json")));
        var want = doc.RootElement.GetProperty(kind).EnumerateArray().Take(colourChannels)
            .SelectMany(c => c.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => (float)v.GetInt32())))
            .ToArray();
        Assert.Equal([colourChannels, 6, 5], t.Shape.ToArray());
        Assert.Equal(want, t.ToArray<float>());
    }
}
