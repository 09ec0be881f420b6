using System.Globalization;

namespace Dendrite.Data.Transforms;

/// <summary>Augmentation written as a short text, as the command line and checkpoint metadata carry it:
/// comma-separated steps applied in order, each <c>name</c> or <c>name:amount</c>. <c>flip</c> (horizontal,
/// probability 0.5, or <c>flip:p</c>), <c>vflip</c> (vertical, likewise), <c>crop:P</c> (pad P pixels on each side
/// with the background and crop back at a random position), <c>rotate:D</c> (uniform in ±D degrees),
/// <c>erase</c> (random erasing, probability 0.5, or <c>erase:p</c>); <c>none</c> or an empty text for no
/// augmentation. Example: <c>crop:2,flip</c>.</summary>
public static class AugmentSpec
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The steps named, or null for <c>none</c>. <paramref name="background"/> is the value padding and
    /// rotation fill with: the input value of a blank pixel (for standardised images, (0 − mean) / std).</summary>
    public static ITransform? Parse(string spec, float background = 0)
    {
        var steps = Steps(spec);
        if (steps.Count == 0) return null;
        var transforms = new List<ITransform>();
        foreach (var (name, amount) in steps)
        {
            transforms.Add(name switch
            {
                "flip" => new HorizontalFlip(Probability(spec, name, amount ?? 0.5)),
                "vflip" => new VerticalFlip(Probability(spec, name, amount ?? 0.5)),
                "crop" => new RandomCrop(Pixels(spec, amount), FillMode.Constant, background),
                "rotate" => RandomAffine.Rotation(Positive(spec, name, amount)) with { FillValue = background },
                "erase" => new RandomErasing { Probability = Probability(spec, name, amount ?? 0.5) },
                _ => throw new ArgumentException(Unknown(spec, name)),
            });
        }
        return transforms.Count == 1 ? transforms[0] : new Compose([.. transforms]);
    }

    /// <summary>The canonical form of <paramref name="spec"/> (lower case, no spaces, <c>none</c> for nothing), after
    /// checking it parses: two texts that name the same augmentation have the same canonical form.</summary>
    public static string Normalize(string spec)
    {
        Parse(spec);
        var steps = Steps(spec);
        return steps.Count == 0
            ? "none"
            : string.Join(",", steps.Select(s => s.Amount is double a ? $"{s.Name}:{a.ToString("R", Inv)}" : s.Name));
    }

    private static List<(string Name, double? Amount)> Steps(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string text = spec.Trim().ToLowerInvariant();
        if (text is "" or "none") return [];
        var steps = new List<(string, double?)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) throw new ArgumentException($"augment '{spec}': empty step between commas");
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            string name = colon < 0 ? part : part[..colon].Trim();
            double? amount = null;
            if (colon >= 0)
            {
                string value = part[(colon + 1)..].Trim();
                if (!double.TryParse(value, NumberStyles.Float, Inv, out double v) || !double.IsFinite(v))
                    throw new ArgumentException($"augment '{spec}': step '{name}' has amount '{value}', not a number");
                amount = v;
            }
            steps.Add((name, amount));
        }
        return steps;
    }

    private static string Unknown(string spec, string name) =>
        $"augment '{spec}': unknown step '{name}' (known: flip, vflip, crop:P, rotate:D, erase; or none)";

    private static double Probability(string spec, string name, double p) => p is >= 0 and <= 1
        ? p
        : throw new ArgumentException($"augment '{spec}': {name} probability must be in [0, 1], got {p}");

    private static double Positive(string spec, string name, double? amount) => amount is > 0
        ? amount.Value
        : throw new ArgumentException($"augment '{spec}': {name} needs a positive amount ({name}:10), got " +
            (amount?.ToString(Inv) ?? "none"));

    private static int Pixels(string spec, double? amount) => amount is double p && p >= 1 && p == Math.Floor(p)
        ? (int)p
        : throw new ArgumentException($"augment '{spec}': crop needs a whole number of pixels ≥ 1 (crop:2), got " +
            (amount?.ToString(Inv) ?? "none"));
}
