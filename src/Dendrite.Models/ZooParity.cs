using System.Globalization;
using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>How far a zoo model's output is from a reference framework's on the same weights and input.</summary>
/// <param name="Model">The architecture name.</param>
/// <param name="MaxAbsError">max |y - reference|.</param>
/// <param name="MaxRelError">max |y - reference| / max |reference|.</param>
/// <param name="Tolerance">The relative error allowed.</param>
public sealed record ParityResult(string Model, double MaxAbsError, double MaxRelError, double Tolerance)
{
    /// <summary>True when the relative error is within the tolerance.</summary>
    public bool Passed => MaxRelError <= Tolerance;
}

/// <summary>Checks parity files: a model's state dict in torchvision names plus <c>__input__</c> (N, C, H, W) and
/// <c>__logits__</c> (the reference eval-mode output on that input), with metadata <c>model</c> (a zoo name such as
/// resnet18) and <c>num_classes</c>. tools/make_zoo_parity.py writes them from torchvision. GPT-2 files
/// (<c>model=gpt2</c>, from tools/make_transformer_fixtures.py --parity) hold Hugging Face GPT-2 names, Int64 token
/// ids (B, T) as input and logits (B, T, V), with the GPT-2 config in the metadata.</summary>
public static class ZooParity
{
    /// <summary>The key of the input tensor.</summary>
    public const string InputKey = "__input__";

    /// <summary>The key of the reference output.</summary>
    public const string LogitsKey = "__logits__";

    /// <summary>Builds the model the metadata names, loads the weights strictly, runs the input in evaluation mode
    /// and compares with the reference logits.</summary>
    public static ParityResult Verify(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata, double tolerance = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue("model", out var name))
            throw new ArgumentException("parity file: metadata has no 'model' key naming the architecture");
        if (name == "gpt2") return VerifyGpt2(tensors, metadata, tolerance);
        if (!metadata.TryGetValue("num_classes", out var classesText) ||
            !int.TryParse(classesText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int classes))
            throw new ArgumentException($"parity file for {name}: metadata 'num_classes' is missing or not an integer");
        if (!tensors.TryGetValue(InputKey, out var input) || !tensors.TryGetValue(LogitsKey, out var expected))
            throw new ArgumentException($"parity file for {name}: needs tensors {InputKey} and {LogitsKey}");
        if (input.Rank != 4)
            throw new ArgumentException($"parity file for {name}: {InputKey} must be (N, C, H, W), got " +
                Shapes.Format(input.Shape));
        var model = Zoo.Create(name, new ZooOptions(NumClasses: classes, InChannels: input.Size(1)));
        var weights = tensors.Where(kv => kv.Key is not (InputKey or LogitsKey))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var loaded = model.LoadStateDict(weights, strict: false);
        if (!loaded.IsExact)
            throw new ArgumentException($"parity file for {name}: state dict does not match the zoo model; missing " +
                $"[{string.Join(", ", loaded.MissingKeys.Take(8))}], unexpected " +
                $"[{string.Join(", ", loaded.UnexpectedKeys.Take(8))}]");
        model.Eval();
        Tensor y;
        using (Autograd.NoGrad()) y = ((ILayer)model).Call(input.To(DType.Float32));
        if (!y.Shape.SequenceEqual(expected.Shape))
            throw new ArgumentException($"parity file for {name}: the model gives {Shapes.Format(y.Shape)}, " +
                $"{LogitsKey} is {Shapes.Format(expected.Shape)}");
        return Compare(name, y, expected, tolerance);
    }

    // GPT-2 files: the state dict of GPT2LMHeadModel, __input__ int64 token ids (B, T), __logits__ (B, T, V), and
    // metadata model=gpt2 with n_layer, n_head, n_embd, n_positions, vocab_size, layer_norm_epsilon and
    // activation_function=gelu_new.
    private static ParityResult VerifyGpt2(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata, double tolerance)
    {
        if (!tensors.TryGetValue(InputKey, out var input) || !tensors.TryGetValue(LogitsKey, out var expected))
            throw new ArgumentException($"parity file for gpt2: needs tensors {InputKey} and {LogitsKey}");
        if (input.Rank != 2 || input.DType != DType.Int64)
            throw new ArgumentException($"parity file for gpt2: {InputKey} must be Int64 token ids (B, T), got " +
                $"{input.DType} {Shapes.Format(input.Shape)}");
        var model = Gpt.FromStateDict(tensors, metadata);
        model.Eval();
        Tensor y;
        using (Autograd.NoGrad()) y = model.Forward(input);
        if (!y.Shape.SequenceEqual(expected.Shape))
            throw new ArgumentException($"parity file for gpt2: the model gives {Shapes.Format(y.Shape)}, " +
                $"{LogitsKey} is {Shapes.Format(expected.Shape)}");
        return Compare("gpt2", y, expected, tolerance);
    }

    private static ParityResult Compare(string name, Tensor y, Tensor expected, double tolerance)
    {
        var a = y.Contiguous().ToArray<float>();
        var b = expected.To(DType.Float32).Contiguous().ToArray<float>();
        double maxAbs = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs((double)a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs((double)b[i]));
        }
        return new ParityResult(name, maxAbs, maxAbs / Math.Max(scale, 1e-12), tolerance);
    }
}
