#:project ../src/Dendrite.Models/Dendrite.Models.csproj
#:project ../src/Dendrite.IO/Dendrite.IO.csproj
#:property PublishAot=false
// A byte-level GPT: trains a small GPT on a text file (UTF-8 bytes as tokens 0..255), streams a sample from it, and
// saves a checkpoint that `dendrite generate --checkpoint gpt-bytes.safetensors --prompt "..."` samples from.
// Run: dotnet run samples/03-gpt-bytes.cs [TEXT_FILE] [STEPS]   (docs/transformers.md explains the model)
using System.Diagnostics;
using System.Text;
using Dendrite;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

string path = args.Length > 0 ? args[0] : "/usr/share/common-licenses/GPL-3";
int steps = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300;
byte[] text = File.Exists(path)
    ? File.ReadAllBytes(path)
    : Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 200)));
Console.WriteLine($"{(File.Exists(path) ? path : "built-in text")}: {text.Length:N0} bytes");

// 90% to train, the last 10% to validate.
int split = text.Length * 9 / 10;
var config = new GptConfig(VocabSize: 256, Context: 64, Layers: 2, Heads: 4, Embedding: 64);
var gen = new Generator(0);
var model = new Gpt(config, gen);
var optimizer = new AdamW(model.Parameters(), lr: 3e-3, weightDecay: 0.01);
const int Batch = 16;

(Tensor X, Tensor Y) Windows(int from, int to)
{
    var x = new long[Batch * config.Context];
    var y = new long[Batch * config.Context];
    for (int b = 0; b < Batch; b++)
    {
        int start = (int)gen.NextInt64(from, to - config.Context - 1);
        for (int t = 0; t < config.Context; t++)
        {
            x[b * config.Context + t] = text[start + t];
            y[b * config.Context + t] = text[start + t + 1];
        }
    }
    return (Tensor.From(x, Batch, config.Context), Tensor.From(y, Batch * config.Context));
}

double Loss(Tensor x, Tensor y) => Losses.CrossEntropy(model.Forward(x).Reshape(-1, 256), y).Item();

Console.WriteLine($"GPT: {model.ParameterCount():N0} parameters, {config}");
var clock = Stopwatch.StartNew();
for (int step = 1; step <= steps; step++)
{
    using var scope = TensorScope.Begin();
    var (x, y) = Windows(0, split);
    var loss = Losses.CrossEntropy(model.Forward(x).Reshape(-1, 256), y);
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
    if (step % 50 == 0 || step == steps)
    {
        double validation;
        using (Autograd.NoGrad())
        {
            var (vx, vy) = Windows(split, text.Length);
            validation = Loss(vx, vy);
        }
        Console.WriteLine($"step {step}: train {loss.Item():F3}, validation {validation:F3} nats/byte " +
            $"({clock.Elapsed.TotalSeconds:F1} s)");
    }
}

var metadata = config.ToMetadata();
metadata["generator"] = "gpt";
metadata["tokenizer"] = "bytes";
Safetensors.Save("gpt-bytes.safetensors", model.StateDict(), metadata);
Console.WriteLine("saved gpt-bytes.safetensors; sample with: dendrite generate --checkpoint gpt-bytes.safetensors " +
    "--prompt \"The \"");

// Stream a sample: each byte is printed as it is drawn (multi-byte characters once complete).
var decoder = Encoding.UTF8.GetDecoder();
var chars = new char[4];
int[] prompt = [.. "The "u8.ToArray().Select(b => (int)b)];
Console.Write("The ");
foreach (int token in model.Generate(prompt, 200, new SamplingOptions(Temperature: 0.8, TopK: 40), new Generator(1)))
{
    int n = decoder.GetChars([(byte)token], 0, 1, chars, 0, flush: false);
    Console.Write(chars, 0, n);
}
Console.WriteLine();
Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
