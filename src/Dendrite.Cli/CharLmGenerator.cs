using Dendrite.Experiments.Recurrent;
using Dendrite.Models.Sequence;

namespace Dendrite.Cli;

/// <summary><c>generator=char-lm</c>: a character language model (<c>dendrite train --task char-lm</c>) continues
/// the prompt, one sampled character at a time, streamed as drawn.</summary>
internal sealed class CharLmGenerator : ICheckpointGenerator
{
    /// <inheritdoc/>
    public string Kind => "char-lm";

    /// <inheritdoc/>
    public string Description => "character language model: continues --prompt for --max-tokens characters";

    /// <inheritdoc/>
    public int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        CharSampling.RefuseTruncation(request, Kind);
        var model = CharLanguageModel.FromCheckpoint(tensors, metadata, request.Checkpoint);
        string prompt = string.IsNullOrEmpty(request.Prompt) ? "\n" : request.Prompt;
        request.Output.Write(request.Prompt);
        model.Sample(prompt, request.MaxTokens, request.Temperature, new Generator(request.Seed),
            emit: request.Output.Write);
        request.Output.WriteLine();
        return 0;
    }
}

/// <summary>Checks shared by the character-model generators.</summary>
internal static class CharSampling
{
    // Top-k and top-p are for large vocabularies; over a few dozen characters the temperature is the knob.
    public static void RefuseTruncation(GenerateRequest request, string kind)
    {
        if (request.TopK is not null || request.TopP is not null)
            throw new ArgumentException($"generate: a {kind} checkpoint samples with --temperature only; " +
                "--top-k and --top-p are not supported for character models");
    }
}
