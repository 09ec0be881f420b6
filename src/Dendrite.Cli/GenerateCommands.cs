using System.CommandLine;
using Dendrite.IO;

namespace Dendrite.Cli;

/// <summary>What <c>dendrite generate</c> was asked for. Text generators read <see cref="Prompt"/> and
/// <see cref="MaxTokens"/> and stream to <see cref="Output"/>; image generators write a grid of
/// <see cref="Count"/> samples to <see cref="Out"/>.</summary>
/// <param name="Checkpoint">The checkpoint file.</param>
/// <param name="Prompt">Text to continue (text generators).</param>
/// <param name="Out">File to write (a PNG grid for image generators).</param>
/// <param name="Count">How many samples.</param>
/// <param name="MaxTokens">How many tokens to generate (text generators).</param>
/// <param name="Temperature">Sampling temperature; 0 means greedy.</param>
/// <param name="TopK">Keep only the k most likely tokens, when given.</param>
/// <param name="TopP">Keep the smallest set of tokens whose probability reaches p, when given.</param>
/// <param name="Seed">Seed of the sampling generator: the same seed gives the same output.</param>
/// <param name="Output">Where text and progress go.</param>
internal sealed record GenerateRequest(string Checkpoint, string? Prompt, string? Out, int Count, int MaxTokens,
    double Temperature, int? TopK, double? TopP, ulong Seed, TextWriter Output);

/// <summary>One kind of generative checkpoint that <c>dendrite generate</c> can sample from. A checkpoint names its
/// kind in the metadata key <c>generator</c>.</summary>
internal interface ICheckpointGenerator
{
    /// <summary>The value of the checkpoint's <c>generator</c> metadata key that this generator reads.</summary>
    string Kind { get; }

    /// <summary>One line on what it produces, for error messages and help.</summary>
    string Description { get; }

    /// <summary>Rebuilds the model from the checkpoint and samples; returns the process exit code.</summary>
    int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata);
}

/// <summary><c>dendrite generate --checkpoint FILE [--prompt TEXT | --out grid.png]</c>: samples from any generative
/// checkpoint, dispatching on its <c>generator</c> metadata key.</summary>
internal static class GenerateCommands
{
    // One entry per kind of generative model.
    internal static readonly ICheckpointGenerator[] Generators =
    [
        new GptGenerator(),
        new VaeGenerator(),
        .. GanCheckpointGenerator.All,
        .. GanFamilyCheckpointGenerator.All,
        new RbmGenerator(),
        new CharLmGenerator(), new NamesGenerator(),
    ];

    public static void Register(RootCommand root)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint of a generative model", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "text to continue (text models)" };
        var output = new Option<string?>("--out") { Description = "file to write, e.g. grid.png (image models)" };
        var count = new Option<int>("--count") { Description = "number of samples", DefaultValueFactory = _ => 64 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "tokens to generate", DefaultValueFactory = _ => 200 };
        var temperature = new Option<double>("--temperature")
        {
            Description = "sampling temperature (0: greedy)",
            DefaultValueFactory = _ => 1.0,
        };
        var topK = new Option<int?>("--top-k") { Description = "sample among the k most likely tokens only" };
        var topP = new Option<double?>("--top-p") { Description = "sample among the most likely tokens up to mass p" };
        var seed = new Option<ulong>("--seed") { Description = "seed: the same seed gives the same output", DefaultValueFactory = _ => 0 };
        var cmd = new Command("generate", "sample from a generative checkpoint: text from a language model, an image grid from an image model");
        foreach (var o in new Option[] { checkpoint, prompt, output, count, maxTokens, temperature, topK, topP, seed })
            cmd.Options.Add(o);
        cmd.SetAction(parse => Run(new GenerateRequest(parse.GetValue(checkpoint)!, parse.GetValue(prompt),
            parse.GetValue(output), parse.GetValue(count), parse.GetValue(maxTokens), parse.GetValue(temperature),
            parse.GetValue(topK), parse.GetValue(topP), parse.GetValue(seed), Console.Out)));
        root.Subcommands.Add(cmd);
    }

    /// <summary>Loads the checkpoint and hands it to the generator its metadata names.</summary>
    internal static int Run(GenerateRequest request)
    {
        try
        {
            if (!File.Exists(request.Checkpoint))
                throw new IOException($"generate: checkpoint '{request.Checkpoint}' does not exist");
            var (tensors, metadata) = Safetensors.Load(request.Checkpoint);
            return Find(request.Checkpoint, metadata).Generate(request, tensors, metadata);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static ICheckpointGenerator Find(string path, IReadOnlyDictionary<string, string> metadata)
    {
        string known = Generators.Length == 0
            ? "none is built in"
            : string.Join("; ", Generators.Select(g => $"{g.Kind} ({g.Description})"));
        if (!metadata.TryGetValue("generator", out var kind))
            throw new IOException($"generate: {path} has no 'generator' metadata key, so it is not the checkpoint " +
                $"of a generative model. Known kinds: {known}");
        return Generators.FirstOrDefault(g => g.Kind == kind) ?? throw new IOException(
            $"generate: {path} names generator '{kind}', which is not known. Known kinds: {known}");
    }
}
