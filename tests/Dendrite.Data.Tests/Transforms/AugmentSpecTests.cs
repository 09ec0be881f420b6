using Dendrite.Data.Transforms;

namespace Dendrite.Tests;

public class AugmentSpecTests
{
    [Fact]
    public void Parse_BuildsTheStepsInOrder()
    {
        var t = Assert.IsType<Compose>(AugmentSpec.Parse("crop:2,flip, rotate:10,erase:0.25,vflip:0.1", -0.5f));
        Assert.Collection(t.Transforms,
            a =>
            {
                var crop = Assert.IsType<RandomCrop>(a);
                Assert.Equal(2, crop.Padding);
                Assert.Equal(-0.5f, crop.Value);
            },
            a => Assert.Equal(0.5, Assert.IsType<HorizontalFlip>(a).Probability),
            a =>
            {
                var rotate = Assert.IsType<RandomAffine>(a);
                Assert.Equal(10, rotate.Degrees);
                Assert.Equal(-0.5f, rotate.FillValue);
            },
            a => Assert.Equal(0.25, Assert.IsType<RandomErasing>(a).Probability),
            a => Assert.Equal(0.1, Assert.IsType<VerticalFlip>(a).Probability));
        Assert.IsType<HorizontalFlip>(AugmentSpec.Parse("flip"));
        Assert.Null(AugmentSpec.Parse("none"));
        Assert.Null(AugmentSpec.Parse(" "));
    }

    [Theory]
    [InlineData("Crop:2, FLIP", "crop:2,flip")]
    [InlineData("flip:0.5", "flip:0.5")]
    [InlineData("", "none")]
    [InlineData("None", "none")]
    public void Normalize_GivesOneSpellingPerAugmentation(string spec, string canonical) =>
        Assert.Equal(canonical, AugmentSpec.Normalize(spec));

    [Theory]
    [InlineData("crop", "crop needs a whole number of pixels ≥ 1 (crop:2), got none")]
    [InlineData("crop:1.5", "crop needs a whole number of pixels ≥ 1")]
    [InlineData("flip:2", "flip probability must be in [0, 1], got 2")]
    [InlineData("rotate", "rotate needs a positive amount")]
    [InlineData("flip,,crop:2", "empty step between commas")]
    [InlineData("blur", "unknown step 'blur' (known: flip, vflip, crop:P, rotate:D, erase; or none)")]
    [InlineData("crop:two", "step 'crop' has amount 'two', not a number")]
    public void Parse_RefusesWithTheSpecAndTheStep(string spec, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => AugmentSpec.Parse(spec));
        Assert.Contains($"augment '{spec}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CropAndFlip_ShiftAndMirror_FillingWithTheBackground()
    {
        // One 1×3×3 image, padding 1: every output is the input shifted by at most one pixel, the border the fill.
        var t = AugmentSpec.Parse("crop:1,flip", -1f)!;
        var g = new Generator(7);
        var seen = new HashSet<string>();
        for (int trial = 0; trial < 60; trial++)
        {
            var x = Tensor.Arange(1, 10).Reshape(1, 1, 3, 3);
            var y = t.Apply(x, g).ToArray<float>();
            Assert.All(y, v => Assert.True(v == -1 || (v >= 1 && v <= 9), $"{v}"));
            seen.Add(string.Join(" ", y));
        }
        // 9 shifts × 2 mirrorings, less the coincidences of a 3×3 image: many distinct outputs, the input among them.
        Assert.True(seen.Count >= 12, $"{seen.Count} distinct outputs");
        Assert.Contains("1 2 3 4 5 6 7 8 9", seen);
    }
}
