using Dendrite.Data;
using Dendrite.Models;

namespace Dendrite.Cli;

/// <summary>Samples text from a GPT checkpoint (metadata <c>generator=gpt</c>, the sizes of
/// <see cref="GptConfig.ToMetadata"/>, and the tokenizer that <see cref="Tokenizers.FromMetadata"/> rebuilds:
/// bytes, chars, bpe or gpt2; bytes when the key is absent). Tokens are written as they come, a character once its
/// last byte has arrived.</summary>
internal sealed class GptGenerator : ICheckpointGenerator
{
    /// <inheritdoc/>
    public string Kind => "gpt";

    /// <inheritdoc/>
    public string Description => "text from a GPT language model (--prompt, --max-tokens)";

    /// <inheritdoc/>
    public int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        var model = Gpt.FromStateDict(tensors, metadata);
        // Checkpoints without a tokenizer key hold UTF-8 bytes as ids 0..255.
        var tokenizer = metadata.ContainsKey(Tokenizers.KindKey)
            ? Tokenizers.FromMetadata(metadata)
            : new ByteTokenizer();
        if (model.Config.VocabSize < tokenizer.VocabSize)
            throw new ArgumentException($"generate: tokenizer '{tokenizer.Kind}' has {tokenizer.VocabSize} ids, the " +
                $"model only {model.Config.VocabSize}");
        string prompt = string.IsNullOrEmpty(request.Prompt) ? "\n" : request.Prompt;
        int[] ids = tokenizer.Encode(prompt);
        var options = new SamplingOptions(request.Temperature, request.TopK ?? 0, request.TopP ?? 1.0);
        var stream = new TokenTextStream(tokenizer);
        request.Output.Write(prompt);
        foreach (int id in model.Generate(ids, request.MaxTokens, options, new Generator(request.Seed)))
        {
            if (id >= tokenizer.VocabSize) continue; // ids past the tokenizer's range have no text
            request.Output.Write(stream.Push(id));
            request.Output.Flush();
        }
        request.Output.WriteLine(stream.Flush());
        return 0;
    }
}
