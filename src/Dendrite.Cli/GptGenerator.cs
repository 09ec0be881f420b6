using System.Text;
using Dendrite.Models;

namespace Dendrite.Cli;

/// <summary>Samples text from a GPT checkpoint (metadata <c>generator=gpt</c>, the sizes of
/// <see cref="GptConfig.ToMetadata"/>, and <c>tokenizer</c>). Tokenizer <c>bytes</c>: token ids are the prompt's
/// UTF-8 bytes (vocabulary 256), and the output bytes are decoded as they come, a character being written once its
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
        string tokenizer = metadata.TryGetValue("tokenizer", out var t) ? t : "bytes";
        if (tokenizer != "bytes")
            throw new ArgumentException($"generate: {request.Checkpoint} uses tokenizer '{tokenizer}'; this build " +
                "reads 'bytes' (UTF-8 bytes as ids 0..255)");
        if (model.Config.VocabSize < 256)
            throw new ArgumentException($"generate: tokenizer 'bytes' needs a vocabulary of 256 ids, the model has " +
                $"{model.Config.VocabSize}");
        string prompt = string.IsNullOrEmpty(request.Prompt) ? "\n" : request.Prompt;
        int[] ids = [.. Encoding.UTF8.GetBytes(prompt).Select(b => (int)b)];
        var options = new SamplingOptions(request.Temperature, request.TopK ?? 0, request.TopP ?? 1.0);
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[4];
        var one = new byte[1];
        request.Output.Write(prompt);
        foreach (int id in model.Generate(ids, request.MaxTokens, options, new Generator(request.Seed)))
        {
            if (id > 255) continue; // ids past the byte range have no text under this tokenizer
            one[0] = (byte)id;
            int n = decoder.GetChars(one, 0, 1, chars, 0, flush: false);
            if (n > 0)
            {
                request.Output.Write(chars, 0, n);
                request.Output.Flush();
            }
        }
        int rest = decoder.GetChars([], 0, 0, chars, 0, flush: true);
        request.Output.Write(chars, 0, rest);
        request.Output.WriteLine();
        return 0;
    }
}
